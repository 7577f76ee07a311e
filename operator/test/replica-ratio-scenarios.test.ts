import { ANNOTATIONS, LABELS } from '@tollgate/contract/metadata';
import type { Service } from '../src/api/k8s.js';
import type { KubeObject } from '../src/api/types.js';
import { Resources } from '../src/kube/resources.js';
import { aCanary, aDeployment, NS, World } from './fakes/world.js';

/** A Deployment of 10 replicas released on kubernetes by stepWeight 20 up to 40. */
function ratioWorld(analysis: Parameters<typeof aCanary>[0] = {}, spec: Parameters<typeof aCanary>[1] = {}): World {
  const d = aDeployment();
  d.spec.replicas = 10;
  return new World().apply(d, aCanary({ stepWeight: 20, maxWeight: 40, ...analysis }, { provider: 'kubernetes', ...spec }));
}

const apexSelector = (w: World): Record<string, string> | undefined =>
  w.kube.get<Service>(Resources.services, NS, 'podinfo')?.spec.selector;

/** phase:canaryWeight:effectiveWeight canary/primary replicas, after each tick. */
function state(w: World): string {
  const s = w.canary.status;
  const replicas = (n: string): number | undefined => w.deployment(n)?.spec.replicas;
  return `${s?.phase}:${s?.canaryWeight}:${s?.effectiveWeight} ${replicas('podinfo')}/${replicas('podinfo-primary')}`;
}

async function initialized(w: World): Promise<void> {
  await w.reconcile();
  await w.reconcile();
  expect(w.canary.status?.phase).toBe('Initialized');
}

describe('given a weighted canary of a Deployment on the kubernetes provider (replica ratio)', () => {
  it('when initialized, then the apex selects the primary, which carries the pool label, and the target is at zero', async () => {
    const w = ratioWorld();
    await initialized(w);
    expect(apexSelector(w)).toEqual({ app: 'podinfo-primary' });
    expect(w.deployment('podinfo-primary')!.spec.template.metadata?.labels?.[LABELS.pool]).toBe('podinfo');
    expect(w.deployment('podinfo-primary')!.spec.replicas).toBe(10);
    expect(w.deployment('podinfo')!.spec.replicas).toBe(0);
  });

  it('when a revision is promoted, then each step sizes both Deployments, the apex selects the pool, and the end restores them', async () => {
    const w = ratioWorld();
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    const seen = [state(w)];
    for (let i = 0; i < 8 && w.canary.status?.phase !== 'Succeeded'; i++) {
      // The promoted primary's new pods are held un-ready for one interval: the canary keeps its share meanwhile.
      if (w.canary.status?.canaryWeight === 40) w.unavailable.add('podinfo-primary');
      if (w.canary.status?.phase === 'Promoting') w.unavailable.clear();
      await w.tick();
      seen.push(state(w));
      if (w.canary.status?.canaryWeight === 20) expect(apexSelector(w)).toEqual({ [LABELS.pool]: 'podinfo' });
    }
    expect(seen).toEqual([
      'Progressing:0:0 1/10',
      'Progressing:20:20 2/8',
      'Progressing:40:40 4/6',
      'Promoting:40:100 4/10',
      'Succeeded:0:0 0/10',
    ]);
    const primary = w.deployment('podinfo-primary')!;
    expect(primary.metadata.annotations?.[ANNOTATIONS.fullReplicas]).toBeUndefined();
    expect(primary.spec.template.spec.containers[0]!.env).toEqual([{ name: 'VERSION', value: 'v2' }]);
    expect(apexSelector(w)).toEqual({ app: 'podinfo-primary' });
    // The pool label the operator put on the target is no part of its revision: no new release follows.
    expect(w.deployment('podinfo')!.spec.template.metadata?.labels?.[LABELS.pool]).toBe('podinfo');
    await w.tick();
    expect(w.canary.status?.phase).toBe('Succeeded');
  });

  it('when the checks fail, then the rollback restores the primary to its full size and the canary to zero', async () => {
    const w = ratioWorld({ threshold: 1 });
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    await w.tick();
    expect(state(w)).toBe('Progressing:20:20 2/8');
    expect(w.deployment('podinfo-primary')!.metadata.annotations?.[ANNOTATIONS.fullReplicas]).toBe('10');
    w.checks = [{ name: 'request-success-rate', ok: false, value: 50, min: 99 }];
    await w.tick();
    expect(state(w)).toBe('Failed:0:0 0/10');
    expect(apexSelector(w)).toEqual({ app: 'podinfo-primary' });
    expect(w.deployment('podinfo-primary')!.metadata.annotations?.[ANNOTATIONS.fullReplicas]).toBeUndefined();
  });

  it("when the primary has an HPA, then the ratio keeps both sides within the HPAs' bounds", async () => {
    const w = ratioWorld({ stepWeight: 60, maxWeight: 60 }, { autoscalerRef: { kind: 'HorizontalPodAutoscaler', name: 'podinfo' } });
    w.kube.put(Resources.horizontalPodAutoscalersV2, {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'podinfo', namespace: NS },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' }, minReplicas: 5, maxReplicas: 12 },
    } as KubeObject);
    await initialized(w);
    w.newRevision({ VERSION: 'v2' });
    await w.tick(0);
    expect(state(w)).toBe('Progressing:0:0 5/10');
    await w.tick();
    expect(state(w)).toBe('Progressing:60:55 6/5');
  });
});
