import type { Environment } from '../src/harness/environment.js';

export default async function globalTeardown(): Promise<void> {
  const env = (globalThis as { __TOLLGATE_ENV__?: Environment }).__TOLLGATE_ENV__;
  await env?.stop();
}
