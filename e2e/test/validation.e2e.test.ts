import { Resources } from '@tollgate/operator/kube/resources';
import type { Canary } from '@tollgate/operator/api/types';
import { KubeApiError } from '@tollgate/operator/kube/errors';
import { createNamespace, istioCanary, sampleDeployment } from '../src/harness/fixtures.js';
import { Timeline } from '../src/harness/observe.js';
import { OperatorProcess } from '../src/harness/operator-process.js';
import { client, envInfo, RUN_DIR, uniqueNs } from './env.js';
import { canaryEvents } from './helpers.js';
import type { KubeClient } from '@tollgate/operator/kube/client';

async function rejection(kube: KubeClient, c: Canary): Promise<KubeApiError> {
  try {
    await kube.create(Resources.canaries, c);
  } catch (err) {
    if (err instanceof KubeApiError) return err;
    throw err;
  }
  throw new Error(`the API server accepted ${JSON.stringify(c.spec)}`);
}

describe('invalid Canaries', () => {
  let kube: KubeClient;
  let ns: string;

  beforeAll(async () => {
    kube = await client();
    ns = uniqueNs('invalid');
    await createNamespace(kube, ns);
  });

  afterAll(() => kube.close());

  it.each([
    ['a weight of 150', { maxWeight: 150 }, /maxWeight/],
    ['a step weight below 0', { stepWeight: -5 }, /stepWeight/],
    ['a threshold of 0', { threshold: 0 }, /threshold/],
    ['an interval under one second', { interval: '500ms' }, /interval/],
    ['an interval that is not a duration', { interval: 'often' }, /interval/],
  ])('the API server rejects %s with a message naming the field', async (_title, analysis, field) => {
    const err = await rejection(kube, istioCanary(ns, `bad-${Math.random().toString(36).slice(2, 7)}`, analysis as object));
    expect(err.status).toBe(422);
    expect(err.message).toMatch(field);
  });

  it('the API server rejects a provider that does not exist', async () => {
    const c = istioCanary(ns, 'bad-provider');
    (c.spec as { provider: string }).provider = 'haproxy';
    const err = await rejection(kube, c);
    expect(err.status).toBe(422);
    expect(err.message).toMatch(/provider/);
  });

  it('a provider Flagger knows but Tollgate does not drive yet is reported in a condition and an Event, and nothing is touched', async () => {
    await kube.create(Resources.deployments, sampleDeployment(ns, 'web'));
    const c = istioCanary(ns, 'web');
    (c.spec as { provider: string }).provider = 'nginx';
    await kube.create(Resources.canaries, c);
    const timeline = new Timeline(kube, ns, 'web');
    await timeline.start();
    const operator = new OperatorProcess({ kubeconfig: envInfo().kubeconfig, prometheusUrl: envInfo().prometheusUrl, namespaces: [ns], logDir: RUN_DIR });
    operator.start();
    try {
      const deadline = Date.now() + 30_000;
      while (!timeline.canary?.status?.conditions && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const stalled = timeline.canary?.status?.conditions?.find((x) => x.type === 'Stalled');
      expect(stalled).toMatchObject({ status: 'True', reason: 'Unsupported' });
      expect(stalled?.message).toContain('provider nginx is not supported yet');
      expect(timeline.canary?.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('False');
      await new Promise((r) => setTimeout(r, 500));
      expect((await canaryEvents(kube, ns)).some((e) => e.reason === 'Unsupported' && e.type === 'Warning')).toBe(true);
      await expect(kube.get(Resources.deployments, ns, 'web-primary')).rejects.toMatchObject({ status: 404 });
    } finally {
      timeline.stop();
      await operator.stop();
    }
  });
});
