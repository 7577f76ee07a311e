import fs from 'node:fs';
import path from 'node:path';
import { dump } from 'js-yaml';
import { allCrds } from '../api/crd/index.js';

const HEADER = '# Generated from operator/src/api/crd by `make crds`; edit the TypeScript, not this file.\n';

/** The CRD files as they are written under crds/. */
export function renderCrds(): Record<string, string> {
  return Object.fromEntries(Object.entries(allCrds()).map(([file, crd]) => [file, HEADER + dump(crd, { lineWidth: 120, noRefs: true })]));
}

/** `node dist/cli/crds.js <dir>...` writes the CRDs into each directory; with --check, fails on drift instead. */
function main(args: string[]): void {
  const check = args.includes('--check');
  const dirs = args.filter((a) => a !== '--check');
  let drift = false;
  for (const dir of dirs) {
    for (const [file, text] of Object.entries(renderCrds())) {
      const target = path.join(dir, file);
      const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
      if (current === text) continue;
      if (check) {
        process.stderr.write(`${target} differs from the generated CRD: run make crds\n`);
        drift = true;
      } else {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(target, text);
        process.stdout.write(`wrote ${target}\n`);
      }
    }
  }
  if (drift) process.exit(1);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
