import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** operator/bin/tollgate-operator, the launcher `npm start` runs, with a stand-in `node` first on PATH. */
const LAUNCHER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'tollgate-operator');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'launcher-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * A `node` that refuses --max-old-space-size-percentage when `old` (Node.js before 22.21), and otherwise prints
 * its arguments and MALLOC_ARENA_MAX, one a line, instead of running anything.
 */
function standInNode(old: boolean): void {
  const refuse = old ? 'case "$*" in *--max-old-space-size-percentage*) echo "node: bad option" >&2; exit 9;; esac' : '';
  fs.writeFileSync(
    path.join(dir, 'node'),
    `#!/bin/sh\n${refuse}\nfor a in "$@"; do echo "$a"; done\necho "MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX"\n`,
    {
      mode: 0o755,
    },
  );
}

const launch = (env: Record<string, string> = {}): string[] =>
  execFileSync(LAUNCHER, ['--flag-for-operator'], { env: { PATH: `${dir}:/usr/bin:/bin`, ...env }, encoding: 'utf8' })
    .trim()
    .split('\n');

const main = path.resolve(path.dirname(LAUNCHER), '..', 'dist', 'main.js');

describe('operator/bin/tollgate-operator', () => {
  it('sizes the JS heap to half the memory the process may use, with the 2 MB semi-space and two malloc arenas', () => {
    standInNode(false);
    const run = launch();
    expect(run.map((a) => a.replace(path.dirname(LAUNCHER) + '/', '<bin>/'))).toEqual([
      '--max-semi-space-size=2',
      '--max-old-space-size-percentage=50',
      '<bin>/../dist/main.js',
      '--flag-for-operator',
      'MALLOC_ARENA_MAX=2',
    ]);
    expect(path.resolve(run[2]!)).toBe(main);
  });

  it('runs a Node.js without --max-old-space-size-percentage with V8 heap defaults instead of failing to start', () => {
    standInNode(true);
    const out = launch({ MALLOC_ARENA_MAX: '4' });
    expect(out.filter((a) => a.startsWith('--'))).toEqual(['--max-semi-space-size=2', '--flag-for-operator']);
    expect(out).toContain('MALLOC_ARENA_MAX=4');
  });

  it('leaves the heap to a --max-old-space-size in NODE_OPTIONS (the command line would override it)', () => {
    standInNode(false);
    const out = launch({ NODE_OPTIONS: '--enable-source-maps --max-old-space-size=256' });
    expect(out.filter((a) => a.startsWith('--'))).toEqual(['--max-semi-space-size=2', '--flag-for-operator']);
  });

  it('with the Node.js the project runs (scripts/ensure-node.sh), the operator gets a heap limit of half the memory', () => {
    // A copy of the launcher whose dist/main.js prints the heap limit V8 was given, in MiB.
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.mkdirSync(path.join(dir, 'dist'));
    fs.copyFileSync(LAUNCHER, path.join(dir, 'bin', 'tollgate-operator'));
    fs.writeFileSync(path.join(dir, 'dist', 'main.js'), 'console.log(require("v8").getHeapStatistics().heap_size_limit / 1048576);\n');
    const run = (env: Record<string, string> = {}): number =>
      Number(
        execFileSync(path.join(dir, 'bin', 'tollgate-operator'), [], {
          env: { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, ...env },
          encoding: 'utf8',
        }),
      );
    const out = run();
    expect(run({ NODE_OPTIONS: '--max-old-space-size=300' })).toBeLessThan(300 + 256);
    const constrained = process.constrainedMemory?.() ?? 0;
    const memoryMb = (constrained > 0 && constrained < os.totalmem() ? constrained : os.totalmem()) / 1048576;
    // The old space is the half; the limit adds the young generation and the other spaces (under 256 MB).
    expect(Number(out)).toBeGreaterThanOrEqual(memoryMb * 0.5 - 1);
    expect(Number(out)).toBeLessThan(memoryMb * 0.5 + 256);
  });
});
