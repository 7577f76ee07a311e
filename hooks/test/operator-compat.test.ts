import type { SentWebhookPayload } from '@tollgate/contract/payload';
import { namespaceKey } from '@tollgate/contract/signature';
import type { CanaryWebhook } from '@tollgate/operator/api/types';
import { DEFAULT_MAX_BODY_BYTES, OutboundClient } from '@tollgate/operator/outbound/client';
import { authFromSecret, HttpWebhookRunner } from '@tollgate/operator/webhooks/runner';
import { HMAC_KEY, listeningService, TOKEN } from './helpers.js';

/**
 * The operator's webhook client (what a Flagger-style Canary's webhooks go through) against the hooks service
 * on a loopback port: the credentials of the webhook's secretRef, in each mode the service runs in.
 */
const payload = (namespace: string): SentWebhookPayload => ({
  name: 'podinfo',
  namespace,
  phase: 'Progressing',
  checksum: 'c1',
  metadata: { type: 'bash', cmd: 'echo done' },
  type: 'pre-rollout',
  canaryWeight: 0,
  iteration: 0,
  revision: 'r1',
  failedChecks: 0,
  timestamp: new Date().toISOString(),
});

// The operator's defaults (config.ts): 1 MiB answers, webhook timeout up to 2m, 5 retries.
const runner = new HttpWebhookRunner(new OutboundClient({ maxBodyBytes: DEFAULT_MAX_BODY_BYTES, forbidInsecureTls: false }), {
  maxTimeoutMs: 120_000,
  maxRetries: 5,
});
const call = (url: string, ns: string, secret?: Record<string, string>) => {
  const hook: CanaryWebhook = { name: 'h', url, timeout: '10s' };
  return runner.call(hook, payload(ns), new AbortController().signal, secret ? authFromSecret(secret) : undefined);
};

describe('Flagger-style webhooks through the operator', () => {
  it('given hooks with a token and a secretRef holding "Authorization: Bearer <token>", then gates and tasks work as before', async () => {
    const h = await listeningService({ token: TOKEN, hmacKey: undefined });
    try {
      const secret = { Authorization: `Bearer ${TOKEN}` };
      expect(await call(`${h.url}/gate/check`, 'shop', secret)).toMatchObject({ ok: false, status: 403 });
      expect(await call(`${h.url}/gate/open`, 'shop', secret)).toEqual({ ok: true, status: 202 });
      expect(await call(`${h.url}/gate/check`, 'shop', secret)).toEqual({ ok: true, status: 200 });
      expect(await call(`${h.url}/`, 'shop', secret)).toEqual({ ok: true, status: 200 });
      expect(await call(`${h.url}/gate/check`, 'shop')).toMatchObject({ ok: false, status: 401 });
    } finally {
      await h.close();
    }
  });

  it("given hooks in insecure mode and webhooks without secretRef (Flagger's loadtester set-up), then gates and tasks work as before", async () => {
    const h = await listeningService({ token: undefined, hmacKey: undefined, insecure: true });
    try {
      expect(await call(`${h.url}/gate/open`, 'shop')).toEqual({ ok: true, status: 202 });
      expect(await call(`${h.url}/gate/check`, 'shop')).toEqual({ ok: true, status: 200 });
      expect(await call(`${h.url}/`, 'shop')).toEqual({ ok: true, status: 200 });
    } finally {
      await h.close();
    }
  });

  it("given a secretRef holding the namespace's derived hmac-key, then the signed calls pass; the key of another namespace is refused", async () => {
    const h = await listeningService({ token: TOKEN, hmacKey: HMAC_KEY });
    try {
      const secret = { 'hmac-key': namespaceKey(HMAC_KEY, 'shop') };
      expect(await call(`${h.url}/gate/check`, 'shop', secret)).toMatchObject({ ok: false, status: 403 });
      expect(await call(`${h.url}/rollback/check`, 'shop', secret)).toMatchObject({ ok: false, status: 403 });
      expect(await call(`${h.url}/`, 'shop', secret)).toEqual({ ok: true, status: 200 });
      expect(await call(`${h.url}/gate/approve`, 'shop', secret)).toEqual({ ok: true, status: 200 });
      const wrong = await call(`${h.url}/gate/check`, 'shop', { 'hmac-key': namespaceKey(HMAC_KEY, 'other') });
      expect(wrong).toEqual({ ok: false, status: 401, message: expect.stringContaining('invalid signature') });
    } finally {
      await h.close();
    }
  });
});
