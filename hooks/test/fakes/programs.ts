import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A directory of stand-in programs (kubectl, helm) that only record their arguments, one line per run. */
export interface FakePrograms {
  readonly dir: string;
  /** PATH with the fakes first. */
  readonly path: string;
  /** The argument lines a program was run with (empty when it never ran). */
  runs(program: string): string[];
  remove(): void;
}

export function fakePrograms(...names: string[]): FakePrograms {
  const dir = mkdtempSync(path.join(tmpdir(), 'hooks-fakes-'));
  for (const name of names) {
    const file = path.join(dir, name);
    writeFileSync(file, `#!/bin/sh\necho "$*" >> '${file}.runs'\n`);
    chmodSync(file, 0o755);
  }
  return {
    dir,
    path: `${dir}:${process.env.PATH ?? ''}`,
    runs: (program) =>
      existsSync(path.join(dir, `${program}.runs`))
        ? readFileSync(path.join(dir, `${program}.runs`), 'utf8')
            .trim()
            .split('\n')
        : [],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
