import type { Canary } from '../src/api/types.js';
import { Reconciler } from '../src/controller/reconciler.js';
import { Resources } from '../src/kube/resources.js';
import type { KnativeRevision, KnativeService, KnativeTrafficTarget } from '../src/targets/knative.js';
import { World } from './fakes/world.js';

const NS = 'test';

/** Plays Knative's controller: Revision `podinfo-0000n`, Ready, and the Service's status naming it. */
function knativeCreates(w: World, n: number): void {
  const name = `podinfo-${String(n).padStart(5, '0')}`;
  w.kube.put<KnativeRevision>(Resources.knativeRevisions, {
    metadata: { name, namespace: NS, labels: { 'serving.knative.dev/service': 'podinfo' } },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const svc = w.kube.get<KnativeService>(Resources.knativeServices, NS, 'podinfo') ?? {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: 'podinfo', namespace: NS },
    spec: { template: {} },
  };
  w.kube.put(Resources.knativeServices, { ...svc, status: { latestCreatedRevisionName: name, latestReadyRevisionName: name } });
}

const traffic = (w: World): KnativeTrafficTarget[] | undefined =>
  w.kube.get<KnativeService>(Resources.knativeServices, NS, 'podinfo')?.spec?.traffic;
const split = (primary: string, p: number, canary: string, c: number): KnativeTrafficTarget[] => [
  { revisionName: `podinfo-${primary}`, percent: p },
  { revisionName: `podinfo-${canary}`, percent: c },
];

function knativeWorld(): World {
  const w = new World();
  knativeCreates(w, 1);
  const canary: Canary = {
    apiVersion: 'tollgate.dev/v1beta1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: NS },
    spec: {
      provider: 'knative',
      targetRef: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'podinfo' },
      analysis: {
        interval: '10s',
        threshold: 2,
        stepWeight: 25,
        maxWeight: 50,
        metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 } }],
      },
    },
  };
  w.kube.put(Resources.canaries, canary);
  return w;
}

describe('a Knative Service released through the reconciler', () => {
  it('initializes on the current Revision without generating anything, then promotes the next one step by step', async () => {
    const w = knativeWorld();
    await w.tick(0);
    expect(w.canary.status).toMatchObject({ phase: 'Initialized', lastPromotedSpec: 'podinfo-00001' });
    expect(traffic(w)).toEqual(split('00001', 100, '00001', 0));
    expect(w.kube.lister(Resources.services).list(NS)).toEqual([]);
    expect(w.kube.lister(Resources.deployments).list(NS)).toEqual([]);

    knativeCreates(w, 2);
    const seen: string[] = [];
    for (let i = 0; i < 8 && w.canary.status?.phase !== 'Succeeded'; i++) {
      await w.tick(10_000);
      seen.push(`${w.canary.status?.phase} ${JSON.stringify(traffic(w)?.map((t) => `${t.revisionName}=${t.percent}`))}`);
    }
    expect(seen).toEqual([
      'Progressing ["podinfo-00001=100","podinfo-00002=0"]',
      'Progressing ["podinfo-00001=75","podinfo-00002=25"]',
      'Progressing ["podinfo-00001=50","podinfo-00002=50"]',
      'Succeeded ["podinfo-00002=100","podinfo-00002=0"]',
    ]);
    expect(w.canary.status).toMatchObject({ lastPromotedSpec: 'podinfo-00002', canaryWeight: 0 });
    expect(w.events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Promoting', 'Finalising', 'Succeeded']));
  });

  it('resumes after a restart from the status alone, and rolls a failing Revision back to the promoted one', async () => {
    const w = knativeWorld();
    await w.tick(0);
    knativeCreates(w, 2);
    await w.tick(10_000);
    await w.tick(10_000);
    expect(traffic(w)).toEqual(split('00001', 75, '00002', 25));
    // A new operator process: a reconciler with no memory, over the same objects.
    const restarted = new Reconciler(w.deps);
    w.checks = [{ name: 'request-success-rate', ok: false, value: 50, min: 99, message: 'request-success-rate 50 < 99' }];
    w.now += 10_000;
    await restarted.reconcile(`${NS}/podinfo`, new AbortController().signal);
    expect(w.canary.status).toMatchObject({ phase: 'Progressing', failedChecks: 1, canaryWeight: 25 });
    expect(traffic(w)).toEqual(split('00001', 75, '00002', 25));
    w.now += 10_000;
    await restarted.reconcile(`${NS}/podinfo`, new AbortController().signal);
    expect(w.canary.status).toMatchObject({ phase: 'Failed', canaryWeight: 0, lastPromotedSpec: 'podinfo-00001' });
    expect(traffic(w)).toEqual(split('00001', 100, '00002', 0));
    expect(w.events.map((e) => e.reason)).toContain('RolledBack');
  });
});
