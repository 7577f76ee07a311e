import fs from 'node:fs';
import type { Io } from '../io.js';
import { EXIT } from '../errors.js';

/** The CLI's version, from its package.json (two levels up from both src/commands and dist/commands). */
function cliVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function version(io: Io): number {
  io.stdout(`tollgate ${cliVersion()} (Node.js ${process.version})`);
  return EXIT.OK;
}
