import { mkdtempSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Allowlist, DEFAULT_ALLOWED_COMMANDS, ProgramNotAllowedError, ProgramNotFoundError } from '../src/command/allowlist.js';
import { CommandSyntaxError, parseCommandLine } from '../src/command/parse.js';
import { argumentPolicies, ArgumentNotAllowedError } from '../src/command/policy/index.js';
import { DEFAULT_LOAD_LIMITS } from '../src/load/limits.js';
import { thrown } from './helpers.js';

const argvs = (src: string): string[][][] => parseCommandLine(src).sequence.map((p) => p.map((a) => [...a]));

describe('parseCommandLine', () => {
  it.each([
    [
      'hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/',
      [[['hey', '-z', '1m', '-q', '10', '-c', '2', 'http://podinfo-canary.test:9898/']]],
    ],
    [
      "curl -sd 'test' http://podinfo-canary.test:9898/token | grep token",
      [
        [
          ['curl', '-sd', 'test', 'http://podinfo-canary.test:9898/token'],
          ['grep', 'token'],
        ],
      ],
    ],
    [
      'echo hello|grep hello',
      [
        [
          ['echo', 'hello'],
          ['grep', 'hello'],
        ],
      ],
    ],
    ['true && echo a && echo b', [[['true']], [['echo', 'a']], [['echo', 'b']]]],
    ['echo "a b" \'c  d\' e\\ f', [[['echo', 'a b', 'c  d', 'e f']]]],
    ['echo "say \\"hi\\"" "back\\\\slash" "\\n kept"', [[['echo', 'say "hi"', 'back\\slash', '\\n kept']]]],
    ['echo \'\' "" x', [[['echo', '', '', 'x']]]],
    ["echo 'a;b|c&d>e<f$(g)`h`${i}'", [[['echo', 'a;b|c&d>e<f$(g)`h`${i}']]]],
    ['echo "a;b|c&&d>e" \\; \\| \\&', [[['echo', 'a;b|c&&d>e', ';', '|', '&']]]],
    ['grep "end$" x$ $ "$"', [[['grep', 'end$', 'x$', '$', '$']]]],
    ['echo http://x/#frag a#b', [[['echo', 'http://x/#frag', 'a#b']]]],
    ['  echo \t spaced  ', [[['echo', 'spaced']]]],
    ['jq -r ".items[] | .name"', [[['jq', '-r', '.items[] | .name']]]],
    ['echo "it\'s" \'say "x"\'', [[['echo', "it's", 'say "x"']]]],
    ['echo "multi\nline"', [[['echo', 'multi\nline']]]],
  ])('parses %j', (src, expected) => {
    expect(argvs(src)).toEqual(expected);
  });

  it.each([
    ['echo hi; rm -rf /', ';'],
    ['echo hi || rm -rf /', '||'],
    ['sleep 100 &', '&'],
    ['echo $(id)', '$('],
    ['echo "$(id)"', '$('],
    ['echo `id`', '`'],
    ['echo "`id`"', '`'],
    ['echo ${HOME}', '${'],
    ['echo "${HOME}"', '${'],
    ['echo $HOME', '$H'],
    ['echo "$HOME"', '$H'],
    ['echo $1 $? $$', '$1'],
    ["echo $'x'", "$'"],
    ['echo hi > /tmp/x', '>'],
    ['cat < /etc/passwd', '<'],
    ['echo hi\nrm -rf /', 'newline'],
    ['echo hi\r\nid', 'carriage return'],
    ['echo hi \\\nid', 'newline'],
    ['(id)', '('],
    ['# comment', '#'],
    ['echo a\0b', 'NUL'],
  ])('rejects %j', (src, what) => {
    const err = thrown(() => parseCommandLine(src));
    expect(err).toBeInstanceOf(CommandSyntaxError);
    expect(err.message).toContain(what);
  });

  it.each([
    ['', 'empty command'],
    ['   ', 'empty command'],
    ['| grep x', "'|' must follow a command"],
    ['echo x |', "'|' must be followed by a command"],
    ['echo x && && echo y', "'&&' must follow a command"],
    ["echo 'open", 'unterminated single quote'],
    ['echo "open', 'unterminated double quote'],
    ['echo x\\', 'trailing backslash'],
  ])('rejects malformed %j', (src, message) => {
    expect(() => parseCommandLine(src)).toThrow(message);
  });

  it('reports the position of the offending syntax', () => {
    try {
      parseCommandLine('echo ok; id');
      throw new Error('not thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(CommandSyntaxError);
      expect((err as CommandSyntaxError).position).toBe(7);
      expect((err as CommandSyntaxError).code).toBe('unsupported_syntax');
    }
  });
});

describe('Allowlist', () => {
  const list = new Allowlist([...DEFAULT_ALLOWED_COMMANDS], process.env.PATH ?? '');

  it('resolves allowed programs on PATH and absolute paths to allowed programs', () => {
    expect(list.resolve('grep')).toMatch(/\/grep$/);
    expect(list.resolve('/usr/bin/grep')).toBe('/usr/bin/grep');
  });

  it('refuses programs outside the list, naming the program and the list', () => {
    for (const program of ['rm', 'sh', 'bash', '/bin/sh', 'python3', 'FOO=bar']) {
      expect(() => list.resolve(program)).toThrow(ProgramNotAllowedError);
    }
    expect(() => list.resolve('rm')).toThrow(/program "rm" is not allowed: allowed programs are hey, curl, grep/);
    expect(() => list.resolve('FOO=bar')).toThrow(/environment assignments/);
  });

  it('refuses relative paths and paths whose real file has another name', () => {
    expect(() => list.resolve('./grep')).toThrow(/absolute path/);
    const dir = mkdtempSync(path.join(tmpdir(), 'hooks-allow-'));
    try {
      symlinkSync('/bin/sh', path.join(dir, 'curl'));
      expect(() => list.resolve(path.join(dir, 'curl'))).toThrow(/resolves to .*dash|resolves to .*sh/);
      expect(() => list.resolve(path.join(dir, 'grep'))).toThrow(ProgramNotFoundError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when an allowed program is not installed', () => {
    const custom = new Allowlist(['no-such-program-xyz'], process.env.PATH ?? '');
    expect(() => custom.resolve('no-such-program-xyz')).toThrow(/allowed but not installed \(not found on PATH\)/);
  });

  it('checks every program of every pipeline', () => {
    expect(() => list.resolveLine(parseCommandLine('echo a | grep a && sh -c id'))).toThrow(/program "sh" is not allowed/);
  });

  it('names the programs that would defeat it, and those that take any arguments', () => {
    expect(new Allowlist(['curl', 'bash', 'env', 'python3'], '').interpreters()).toEqual(['bash', 'env', 'python3']);
    expect(list.interpreters()).toEqual([]);
    const checked = new Allowlist([...DEFAULT_ALLOWED_COMMANDS, 'head'], process.env.PATH ?? '', argumentPolicies(DEFAULT_LOAD_LIMITS));
    expect(checked.unchecked()).toEqual(['head']);
  });

  it('checks the arguments of each program of a line with its policy', () => {
    const checked = new Allowlist([...DEFAULT_ALLOWED_COMMANDS], process.env.PATH ?? '', argumentPolicies(DEFAULT_LOAD_LIMITS));
    expect(() => checked.resolveLine(parseCommandLine('echo a | grep a && grep a /etc/passwd'))).toThrow(ArgumentNotAllowedError);
    expect(checked.resolveLine(parseCommandLine('echo a | grep a')).sequence[0]).toHaveLength(2);
  });
});
