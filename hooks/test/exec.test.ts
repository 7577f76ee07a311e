import { Allowlist } from '../src/command/allowlist.js';
import { runCommand } from '../src/command/exec.js';
import { OutputBuffer } from '../src/command/output.js';
import { parseCommandLine } from '../src/command/parse.js';

const allowlist = new Allowlist(['echo', 'grep', 'true', 'false', 'sleep', 'yes', 'head', 'test'], process.env.PATH ?? '');
const run = (src: string, signal = new AbortController().signal, maxOutputBytes?: number): ReturnType<typeof runCommand> =>
  runCommand(allowlist.resolveLine(parseCommandLine(src)), { env: process.env, signal, maxOutputBytes, killGraceMs: 500 });

describe('runCommand', () => {
  it('runs a pipeline and returns the last stdout', async () => {
    expect(await run('echo hello | grep hello')).toEqual({ ok: true, output: 'hello\n' });
  });

  it('takes the last process status as the pipeline status', async () => {
    expect(await run('echo hello | grep nope')).toMatchObject({ ok: false, reason: 'exit', program: 'grep', exitCode: 1 });
    expect(await run('false | true')).toEqual({ ok: true, output: '' });
  });

  it('runs && sequences while each succeeds', async () => {
    expect(await run('echo a && echo b')).toEqual({ ok: true, output: 'a\nb\n' });
    expect(await run('echo a && false && echo never')).toMatchObject({ ok: false, reason: 'exit', program: 'false', output: 'a\n' });
  });

  it('passes arguments verbatim, with no expansion', async () => {
    expect((await run("echo '$HOME' '*' '~'")).output).toBe('$HOME * ~\n');
  });

  it('collects stderr with stdout', async () => {
    const res = await run('grep x /no/such/file');
    expect(res).toMatchObject({ ok: false, exitCode: 2 });
    expect(res.output).toContain('/no/such/file');
  });

  it('ends an endless writer when its reader exits', async () => {
    const started = Date.now();
    const res = await run('yes | head -n 2');
    expect(res.ok).toBe(true);
    expect(res.output).toContain('y\ny\n');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('kills every process on abort', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const pending = run('sleep 30 | sleep 30', ac.signal);
    setTimeout(() => ac.abort(), 100);
    expect(await pending).toMatchObject({ ok: false, reason: 'aborted' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('keeps the tail of long output', async () => {
    const res = await run('yes | head -n 10000', undefined, 100);
    expect(res.output.startsWith('[earlier output truncated]\n')).toBe(true);
    expect(res.output.length).toBeLessThan(200);
  });
});

describe('OutputBuffer', () => {
  it('drops the oldest bytes past its budget', () => {
    const b = new OutputBuffer(5);
    b.append(Buffer.from('abc'));
    b.append(Buffer.from('defg'));
    expect(b.text()).toBe('[earlier output truncated]\ncdefg');
  });
});
