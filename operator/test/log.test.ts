import { Writable } from 'node:stream';
import { canaryLogger, createLogger } from '../src/util/log.js';

/** A logger writing JSON lines into an array. */
function capture(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('log lines', () => {
  it('given { err } with a cause, then the line carries the type, message, status and the cause, and no other property of the error', async () => {
    const { lines, stream } = capture();
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const err = Object.assign(new Error('list canaries failed', { cause }), {
      status: 503,
      config: { headers: { authorization: 'Bearer secret-token' } },
      response: { body: 'secret-body' },
    });
    createLogger('info', 'test', stream).warn({ err }, 'list/watch failed');
    await new Promise((r) => setImmediate(r));
    const line = lines[0]!;
    expect(line.err).toMatchObject({
      type: 'Error',
      message: 'list canaries failed',
      status: 503,
      cause: { type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:1', code: 'ECONNREFUSED' },
    });
    expect(JSON.stringify(line)).not.toMatch(/secret-token|secret-body/);
  });

  it('given a thrown value that is not an Error, then err is its text', async () => {
    const { lines, stream } = capture();
    createLogger('info', 'test', stream).warn({ err: 'plain text' }, 'failed');
    await new Promise((r) => setImmediate(r));
    expect(lines[0]!.err).toBe('plain text');
  });

  it('given a canary logger, then every line says canary=<name>.<namespace>', async () => {
    const { lines, stream } = capture();
    canaryLogger(createLogger('info', 'test', stream), 'team-a', 'podinfo').info('step');
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({ canary: 'podinfo.team-a', namespace: 'team-a', name: 'podinfo' });
  });
});
