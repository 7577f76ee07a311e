import fs from 'node:fs';
import path from 'node:path';
import { resourcePath, Resources } from '@tollgate/operator/kube/resources';
import { RULE_EXAMPLES } from '@tollgate/operator/api/crd/rule-examples';
import { ALL_RULES, CANARY_RULES } from '@tollgate/operator/api/crd/rules';
import type { Canary } from '@tollgate/operator/api/types';
import { KubeApiError } from '@tollgate/operator/kube/errors';
import { createNamespace, istioCanary, sampleDeployment } from '../src/harness/fixtures.js';
import { Timeline } from '../src/harness/observe.js';
import { OperatorProcess } from '../src/harness/operator-process.js';
import { client, envInfo, RUN_DIR, uniqueNs } from './env.js';
import { canaryEvents } from './helpers.js';
import { tool } from '../src/harness/tools.js';
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

  it('a target kind Flagger knows but Tollgate does not drive yet is reported in a condition and an Event, and nothing is touched', async () => {
    await kube.create(Resources.deployments, sampleDeployment(ns, 'web'));
    const c = istioCanary(ns, 'web');
    // Flagger releases a core Service (its ServiceController); Tollgate does not yet.
    c.spec.targetRef = { apiVersion: 'v1', kind: 'Service', name: 'web' };
    await kube.create(Resources.canaries, c);
    const timeline = new Timeline(kube, ns, 'web');
    await timeline.start();
    const operator = new OperatorProcess({
      kubeconfig: envInfo().kubeconfig,
      prometheusUrl: envInfo().prometheusUrl,
      namespaces: [ns],
      logDir: RUN_DIR,
    });
    operator.start();
    try {
      const deadline = Date.now() + 30_000;
      while (!timeline.canary?.status?.conditions && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const stalled = timeline.canary?.status?.conditions?.find((x) => x.type === 'Stalled');
      expect(stalled).toMatchObject({ status: 'True', reason: 'Unsupported' });
      expect(stalled?.message).toContain('targetRef.kind Service is not supported yet');
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

const messageOf = (id: string): string => ALL_RULES.find((r) => r.id === id)!.message;

/**
 * Each example of api/crd/rule-examples.ts breaks one CEL rule. A server with CEL (1.25+) refuses it at apply time
 * with the rule's message; an older one (the rules are stripped from the CRD there) stores it, and the operator
 * reports the same message in the Stalled condition.
 */
describe("the CRD's CEL rules", () => {
  let kube: KubeClient;
  let ns: string;
  let cel: boolean;
  let operator: OperatorProcess | undefined;
  const nameOf = (i: number): string => `rule-${i}`;

  beforeAll(async () => {
    kube = await client();
    ns = uniqueNs('rules');
    await createNamespace(kube, ns);
    cel = envInfo().minor >= 25;
    if (cel) return;
    for (const [i, ex] of RULE_EXAMPLES.entries()) await kube.create(Resources.canaries, istioCanary(ns, nameOf(i), ex.analysis, ex.spec));
    operator = new OperatorProcess({
      kubeconfig: envInfo().kubeconfig,
      prometheusUrl: envInfo().prometheusUrl,
      namespaces: [ns],
      logDir: RUN_DIR,
    });
    operator.start();
  });

  afterAll(async () => {
    await operator?.stop();
    kube.close();
  });

  it.each(RULE_EXAMPLES.map((ex, i) => [ex.title, ex, i] as const))(
    "given %s, then the API server refuses it with the rule's message (without CEL: the operator reports it)",
    async (_title, ex, i) => {
      const message = messageOf(ex.id);
      if (cel) {
        const err = await rejection(kube, istioCanary(ns, nameOf(i), ex.analysis, ex.spec));
        expect(err.status).toBe(422);
        expect(err.message).toContain(message);
        return;
      }
      const deadline = Date.now() + 30_000;
      let stalled: { reason?: string; message?: string } | undefined;
      while (!stalled && Date.now() < deadline) {
        const c = await kube.get<Canary>(Resources.canaries, ns, nameOf(i));
        stalled = c.status?.conditions?.find((x) => x.type === 'Stalled' && x.status === 'True');
        if (!stalled) await new Promise((r) => setTimeout(r, 200));
      }
      expect(stalled?.reason).toBe('InvalidSpec');
      expect(stalled?.message).toContain(`: ${message}`);
    },
  );

  it('given a release in progress, then the API server refuses a new target or provider, and takes both once the release has ended', async () => {
    if (!cel) return; // transition rules need CEL; the operator has no old object to check them against
    const c = await kube.create<Canary>(Resources.canaries, istioCanary(ns, 'moving'));
    const setPhase = (phase: string): Promise<unknown> =>
      kube.patch(Resources.canaries, ns, 'moving', { status: { phase } }, { subresource: 'status' });
    await setPhase('Progressing');
    const other = { spec: { targetRef: { ...c.spec.targetRef, name: 'other' } } };
    await expect(kube.patch(Resources.canaries, ns, 'moving', other)).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining(CANARY_RULES[0]!.message),
    });
    await expect(kube.patch(Resources.canaries, ns, 'moving', { spec: { provider: 'linkerd' } })).rejects.toMatchObject({
      status: 422,
      message: expect.stringContaining(CANARY_RULES[1]!.message),
    });
    await kube.patch(Resources.canaries, ns, 'moving', { spec: { suspend: true } });
    await setPhase('Succeeded');
    const moved = await kube.patch<Canary>(Resources.canaries, ns, 'moving', { spec: { ...other.spec, provider: 'linkerd' } });
    expect(moved.spec).toMatchObject({ provider: 'linkerd', targetRef: { name: 'other' } });
  });

  it("given maxWeight written as 100.0, then raw JSON is refused by the server's CEL evaluation, and kubectl (which sends 100) is accepted", async () => {
    const c = istioCanary(ns, 'float-literal', { stepWeight: 20, maxWeight: 50 });
    const body = JSON.stringify(c).replace('"maxWeight":50', '"maxWeight":100.0');
    expect(body).toContain('"maxWeight":100.0');
    const sent = kube.request<Canary>('POST', resourcePath(Resources.canaries, ns), { body, timeoutMs: 30_000 });
    if (cel) await expect(sent).rejects.toMatchObject({ status: 422, message: expect.stringContaining('expected int, got float64') });
    else expect((await sent).spec.analysis?.maxWeight).toBe(100);
    const file = path.join(RUN_DIR, `${ns}-float-literal.yaml`);
    fs.writeFileSync(file, body.replace('"name":"float-literal"', '"name":"float-literal-kubectl"'));
    await tool('kubectl', ['apply', '-f', file], { kubeconfig: envInfo().kubeconfig });
    expect((await kube.get<Canary>(Resources.canaries, ns, 'float-literal-kubectl')).spec.analysis?.maxWeight).toBe(100);
  });
});
