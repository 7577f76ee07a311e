import { UsageError } from '../src/errors.js';
import { closest, parseCommandLine } from '../src/main.js';

const usage = (argv: string[]): string => {
  try {
    parseCommandLine(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
};

describe('parseCommandLine', () => {
  it('given get with flags before or after the command, then the same request', () => {
    const expected = {
      command: 'get',
      cluster: { namespace: 'shop', context: 'prod', kubeconfig: '/k' },
      get: { allNamespaces: false, output: 'wide' },
    };
    expect(parseCommandLine(['get', '-n', 'shop', '--context', 'prod', '--kubeconfig', '/k', '-o', 'wide'])).toEqual(expected);
    expect(parseCommandLine(['-n', 'shop', '--context=prod', '--kubeconfig', '/k', 'get', '-owide'])).toEqual(expected);
    expect(parseCommandLine(['--namespace=shop', '-o', 'wide', '--context', 'prod', '--kubeconfig=/k', 'get'])).toEqual(expected);
  });

  it('given get NAME and -A, then both are read', () => {
    expect(parseCommandLine(['get', 'podinfo', '-o', 'json'])).toEqual({
      command: 'get',
      cluster: {},
      get: { name: 'podinfo', allNamespaces: false, output: 'json' },
    });
    expect(parseCommandLine(['get', '-A'])).toEqual({ command: 'get', cluster: {}, get: { allNamespaces: true } });
  });

  it('given status, wait and the requests, then their options', () => {
    expect(parseCommandLine(['status', 'podinfo', '-w', '--all-events'])).toEqual({
      command: 'status',
      cluster: {},
      status: { name: 'podinfo', watch: true, untilDone: false, allEvents: true },
    });
    expect(parseCommandLine(['status', 'podinfo', '--until-done'])).toMatchObject({ status: { watch: false, untilDone: true } });
    expect(parseCommandLine(['wait', 'podinfo'])).toEqual({
      command: 'wait',
      cluster: {},
      wait: { name: 'podinfo', timeoutMs: 600_000, for: 'promoted' },
    });
    expect(parseCommandLine(['wait', 'podinfo', '--timeout', '1m30s', '--for', 'promoted'])).toMatchObject({ wait: { timeoutMs: 90_000 } });
    expect(parseCommandLine(['promote', 'podinfo', '--force', '--no-wait'])).toEqual({
      command: 'promote',
      cluster: {},
      request: { name: 'podinfo', force: true, wait: false },
    });
    for (const kind of ['abort', 'retry', 'pause', 'resume']) {
      expect(parseCommandLine([kind, 'podinfo'])).toEqual({
        command: kind,
        cluster: {},
        request: { name: 'podinfo', force: false, wait: true },
      });
    }
  });

  it('given help in any form, then help, about the command when one is named', () => {
    expect(parseCommandLine([])).toEqual({ command: 'help' });
    expect(parseCommandLine(['--help'])).toEqual({ command: 'help' });
    expect(parseCommandLine(['help'])).toEqual({ command: 'help' });
    expect(parseCommandLine(['help', 'wait'])).toEqual({ command: 'help', topic: 'wait' });
    expect(parseCommandLine(['wait', '-h'])).toEqual({ command: 'help', topic: 'wait' });
    expect(parseCommandLine(['-n', 'shop', 'promote', '--help'])).toEqual({ command: 'help', topic: 'promote' });
    expect(parseCommandLine(['version'])).toEqual({ command: 'version' });
    expect(parseCommandLine(['--version'])).toEqual({ command: 'version' });
  });

  it('given mistakes, then a usage error that says what is wrong', () => {
    expect(usage(['promte', 'podinfo'])).toBe('unknown command "promte"; did you mean "promote"?');
    expect(usage(['frobnicate'])).toBe('unknown command "frobnicate"');
    expect(usage(['get', '--bogus'])).toBe('unknown flag --bogus');
    expect(usage(['get', '-x'])).toBe('unknown flag -x');
    expect(usage(['pause', 'podinfo', '--force'])).toBe('unknown flag --force');
    expect(usage(['get', '-o'])).toBe('flag -o, --output needs a value');
    expect(usage(['status', 'podinfo', '--watch=yes'])).toBe('flag -w, --watch takes no value');
    expect(usage(['get', '-o', 'table'])).toBe('unknown output format "table": use json, yaml, wide, name');
    expect(usage(['status'])).toBe('status needs the name of a canary');
    expect(usage(['promote', 'a', 'b'])).toBe('too many arguments: b');
    expect(usage(['version', 'x'])).toBe('too many arguments: x');
    expect(usage(['wait', 'podinfo', '--timeout', '10'])).toBe('invalid --timeout "10": use a duration such as 90s, 10m or 1h');
    expect(usage(['wait', 'podinfo', '--timeout', '0s'])).toBe('--timeout must be more than 0');
    expect(usage(['wait', 'podinfo', '--for', 'ready'])).toBe('unknown --for "ready": use promoted');
    expect(usage(['help', 'nope'])).toBe('unknown command "nope"');
    expect(usage(['--bogus'])).toBe('unknown flag --bogus');
    expect(usage(['get', '-n', ''])).toBe('--namespace needs a value');
    expect(usage(['status', 'podinfo', '-o', 'wide'])).toBe('unknown output format "wide": use json, yaml');
    expect(usage(['status', 'podinfo', '-o', 'json', '--watch'])).toBe(
      '-o json prints one document: it cannot be combined with --watch or --until-done',
    );
    expect(usage(['history'])).toBe('history needs the name of a canary');
    expect(usage(['history', 'podinfo', '-o', 'wide'])).toBe('unknown output format "wide": use json, yaml');
    expect(usage(['lint'])).toBe('lint needs files to check (or - for standard input)');
    expect(usage(['lint', 'a.yaml', '-o', 'yaml'])).toBe('unknown output format "yaml": use text, json');
    expect(usage(['completion'])).toBe('completion needs a shell: bash, zsh, fish');
    expect(usage(['completion', 'tcsh'])).toBe('unknown shell "tcsh": use bash, zsh, fish');
    expect(usage(['get', '--request-timeout', 'soon'])).toBe(
      'invalid --request-timeout "soon": use a duration such as 10s or 1m, or 0 for none',
    );
  });

  it('given the new verbs and flags, then their options', () => {
    expect(parseCommandLine(['history', 'podinfo', '-o', 'yaml', '-n', 'shop'])).toEqual({
      command: 'history',
      cluster: { namespace: 'shop' },
      history: { name: 'podinfo', output: 'yaml' },
    });
    expect(parseCommandLine(['status', 'podinfo', '-o', 'json'])).toMatchObject({ status: { name: 'podinfo', output: 'json' } });
    expect(parseCommandLine(['lint', 'a.yaml', '-', 'dir', '-o', 'json', '--mesh-provider', 'linkerd'])).toEqual({
      command: 'lint',
      lint: { paths: ['a.yaml', '-', 'dir'], output: 'json', meshProvider: 'linkerd' },
    });
    expect(parseCommandLine(['lint', '-'])).toEqual({ command: 'lint', lint: { paths: ['-'], output: 'text' } });
    expect(parseCommandLine(['completion', 'zsh'])).toEqual({ command: 'completion', shell: 'zsh' });
    expect(parseCommandLine(['get', '--request-timeout', '5s', '--context', 'prod'])).toMatchObject({
      cluster: { requestTimeoutMs: 5000, context: 'prod' },
    });
    expect(parseCommandLine(['get', '--request-timeout=7'])).toMatchObject({ cluster: { requestTimeoutMs: 7000 } });
    expect(parseCommandLine(['get', '--request-timeout', '0'])).toMatchObject({ cluster: { requestTimeoutMs: 0 } });
  });

  it('given a typo, then the nearest command within two edits', () => {
    expect(closest('stauts', ['status', 'get'])).toBe('status');
    expect(closest('gte', ['get', 'wait'])).toBe('get');
    expect(closest('xyzzy', ['get', 'wait'])).toBeUndefined();
  });
});
