import fs from 'node:fs/promises';
import path from 'node:path';
import { CliError, EXIT } from '../errors.js';
import type { Io } from '../io.js';
import type { Finding, LintOptions, LintResult } from '../lint/lint.js';

export const LINT_OUTPUTS = ['text', 'json'] as const;

export interface LintCommandOptions {
  /** Files, directories (their *.yaml, *.yml and *.json) or "-" for standard input. */
  paths: string[];
  /** The operator's --mesh-provider: the provider of Canaries without spec.provider. */
  meshProvider?: string;
  output: (typeof LINT_OUTPUTS)[number];
}

/** A manifest is kilobytes; a kustomize build of a large app a few megabytes. */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

export interface LintDeps {
  io: Io;
  /** Standard input, whole (at most maxBytes). */
  stdin: (maxBytes: number) => Promise<string>;
}

/** tollgate lint FILE...: the findings, one line each (or JSON), then exit 0 (valid), 1 (errors) or 3 (cannot read). */
export async function lint(deps: LintDeps, o: LintCommandOptions): Promise<number> {
  const { lintText } = await import('../lint/lint.js');
  const options = await lintOptions(o.meshProvider);
  const total: LintResult = { findings: [], checked: 0, skipped: 0 };
  for (const input of await expand(o.paths)) {
    const text = input === '-' ? await deps.stdin(MAX_INPUT_BYTES) : await readCapped(input);
    const r = lintText(input === '-' ? '<stdin>' : input, text, options);
    total.findings.push(...r.findings);
    total.checked += r.checked;
    total.skipped += r.skipped;
  }
  const errors = total.findings.filter((f) => f.severity === 'error').length;
  if (o.output === 'json') {
    deps.io.stdout(JSON.stringify({ ...total, errors, warnings: total.findings.length - errors }, null, 2));
  } else {
    for (const f of total.findings) deps.io.stdout(findingLine(f));
    deps.io.stdout(summary(total, errors));
  }
  return errors ? EXIT.FAILED : EXIT.OK;
}

/** file:line:column: severity: message (object), as compilers print them. */
function findingLine(f: Finding): string {
  return `${f.file}:${f.line}:${f.column}: ${f.severity}: ${f.message}${f.object ? ` (${f.object})` : ''}`;
}

function summary(r: LintResult, errors: number): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const skipped = r.skipped ? ` (${plural(r.skipped, 'other document')} skipped)` : '';
  if (!r.checked) return `No Tollgate objects found${skipped}.`;
  const warnings = r.findings.length - errors;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(r.checked, 'Tollgate object')}${skipped}.`;
}

export async function lintOptions(meshProvider: string | undefined): Promise<LintOptions> {
  // The routers' capability records, not the routers: lint loads no router code.
  const [{ ROUTED_PROVIDERS, providersWith }, { TARGET_KINDS, IN_PLACE_KINDS }, { loadConfig }] = await Promise.all([
    import('@tollgate/contract/capabilities'),
    import('@tollgate/operator/targets/workload-kinds'),
    import('@tollgate/operator/config'),
  ]);
  return {
    defaultProvider: meshProvider ?? loadConfig([], {}).meshProvider,
    caps: {
      providers: new Set<string>(ROUTED_PROVIDERS),
      targetKinds: new Set(TARGET_KINDS),
      inPlaceKinds: new Set(IN_PLACE_KINDS),
      builtinMetricProviders: new Set<string>(providersWith('builtinMetrics')),
    },
  };
}

const MANIFEST = /\.(ya?ml|json)$/i;

/** Directories become their manifests (sorted, not recursive), as kubectl apply -f DIR. */
export async function expand(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push(p);
      continue;
    }
    const stat = await fs.stat(p).catch((err: NodeJS.ErrnoException) => {
      throw new CliError(`cannot read ${p}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`, EXIT.ERROR);
    });
    if (!stat.isDirectory()) {
      out.push(p);
      continue;
    }
    const names = (await fs.readdir(p)).filter((n) => MANIFEST.test(n)).sort();
    out.push(...names.map((n) => path.join(p, n)));
  }
  return out;
}

export async function readCapped(file: string): Promise<string> {
  try {
    const handle = await fs.open(file, 'r');
    try {
      const { size } = await handle.stat();
      if (size > MAX_INPUT_BYTES) throw new CliError(`${file} is larger than ${MAX_INPUT_BYTES / 1024 / 1024} MiB`, EXIT.ERROR);
      return await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'EISDIR' ? 'is a directory' : (err as Error).message}`,
      EXIT.ERROR,
    );
  }
}

/** Standard input of the process, refused past maxBytes. */
export async function processStdin(maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > maxBytes) throw new CliError(`standard input is larger than ${maxBytes / 1024 / 1024} MiB`, EXIT.ERROR);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}
