import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gateKey, namespaceKey } from '@tollgate/contract/signature';
import { HMAC_KEY, listeningService } from './helpers.js';

const run = promisify(execFile);

/** The shell function of hooks/README.md, "For CI", exactly as written there. */
function readmeHooksCall(): string {
  const readme = readFileSync(path.join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const match = /```sh\n(# hooks_call[\s\S]*?\n\})\n/.exec(readme);
  if (!match) throw new Error('hooks/README.md has no hooks_call function');
  return match[1]!;
}

describe('the CI recipe of hooks/README.md', () => {
  it('given the gate key of the namespace, then hooks_call opens the gate and reads it, with bash, openssl and curl', async () => {
    const hooks = await listeningService();
    try {
      const script =
        `set -eu\n${readmeHooksCall()}\n` +
        `hooks_call POST /gate/open '{"name":"podinfo","namespace":"ci"}' >/dev/null\n` +
        `hooks_call GET '/gate/status?namespace=ci&name=podinfo'`;
      const env = {
        PATH: process.env.PATH ?? '',
        GATE_KEY: gateKey(namespaceKey(HMAC_KEY, 'ci')),
        HOOKS: hooks.url,
      };
      const { stdout } = await run('bash', ['-c', script], { env });
      expect(JSON.parse(stdout)).toMatchObject({
        namespace: 'ci',
        name: 'podinfo',
        gate: 'open',
        updatedBy: expect.stringMatching(/^hmac /),
      });
      const otherNs = `set -eu\n${readmeHooksCall()}\nhooks_call POST /gate/open '{"name":"podinfo","namespace":"prod"}'`;
      await expect(run('bash', ['-c', otherNs], { env })).rejects.toMatchObject({ stderr: expect.stringContaining('401') });
    } finally {
      await hooks.close();
    }
  }, 30_000);
});
