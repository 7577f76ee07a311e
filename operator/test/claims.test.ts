import type { Canary } from '../src/api/types.js';
import { claimConflict, claimsOf } from '../src/controller/claims.js';
import { Resources } from '../src/kube/resources.js';
import { aCanary, aDeployment, NS, World } from './fakes/world.js';

function named(name: string, target: string, created: string, service: Partial<NonNullable<Canary['spec']['service']>> = {}): Canary {
  const c = aCanary({}, { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target }, service: { port: 80, ...service } });
  c.metadata = { name, namespace: NS, uid: `uid-${name}`, creationTimestamp: created };
  return c;
}

describe('claimsOf', () => {
  it('given a Canary without service.name, then it claims its target, the -primary workload and the three Services named after the target', () => {
    expect([...claimsOf(named('a', 'web', '2026-01-01T00:00:00Z')).values()]).toEqual([
      'target Deployment/web',
      'primary Deployment web-primary',
      'Service web',
      'Service web-primary',
      'Service web-canary',
    ]);
  });
});

describe('claimConflict', () => {
  const older = named('a', 'web', '2026-01-01T00:00:00Z', { name: 'shared' });
  const newer = named('b', 'api', '2026-01-02T00:00:00Z', { name: 'shared' });

  it('given two Canaries with the same service.name, then the newer one is refused, naming the older and the Services', () => {
    expect(claimConflict(older, [older, newer])).toBeUndefined();
    expect(claimConflict(newer, [older, newer])).toBe(
      'Canary a already takes Service shared, Service shared-primary, Service shared-canary; give this Canary another spec.service.name or target',
    );
  });

  it('given two Canaries for one Deployment, then the newer one is refused', () => {
    const twin = named('c', 'web', '2026-01-03T00:00:00Z', { name: 'other' });
    expect(claimConflict(twin, [older, twin])).toMatch(/^Canary a already takes target Deployment\/web, primary Deployment web-primary;/);
  });

  it("given a service.name equal to another Canary's -canary Service, then it is refused", () => {
    const clash = named('d', 'db', '2026-01-04T00:00:00Z', { name: 'shared-canary' });
    expect(claimConflict(clash, [older, clash])).toMatch(/^Canary a already takes Service shared-canary;/);
  });

  it('given the same creation time, then the name decides, so exactly one of the two acts', () => {
    const x = named('x', 'web', '2026-01-01T00:00:00Z');
    const y = named('y', 'web', '2026-01-01T00:00:00Z');
    expect(claimConflict(x, [x, y])).toBeUndefined();
    expect(claimConflict(y, [x, y])).toMatch(/Canary x/);
  });

  it('given the same creation time, then the one already acting keeps its names, even against a name sorting first', () => {
    const acting = named('z', 'web', '2026-01-01T00:00:00Z');
    acting.status = { phase: 'Initialized', conditions: [{ type: 'Stalled', status: 'False', reason: 'Healthy' }] };
    const late = named('a', 'web', '2026-01-01T00:00:00Z');
    expect(claimConflict(acting, [acting, late])).toBeUndefined();
    expect(claimConflict(late, [acting, late])).toMatch(/Canary z/);
    late.status = { phase: 'Initialized', conditions: [{ type: 'Stalled', status: 'True', reason: 'Conflict' }] };
    expect(claimConflict(late, [acting, late])).toMatch(/Canary z/);
  });

  it('given Canaries with distinct names, then there is no conflict', () => {
    const other = named('e', 'api', '2026-01-05T00:00:00Z');
    expect(claimConflict(other, [older, other])).toBeUndefined();
  });
});

describe("given a second Canary claiming the first one's Services", () => {
  it('then it is Stalled with reason Conflict and writes nothing, the first keeps its objects, and it acts once the first is gone', async () => {
    const w = new World().apply(aDeployment(), aCanary());
    w.canary.metadata.creationTimestamp = '2026-01-01T00:00:00Z';
    await w.reconcile();
    await w.reconcile();
    expect(w.canary.status?.phase).toBe('Initialized');
    w.kube.put(Resources.deployments, aDeployment('other'));
    const second = aCanary(
      {},
      { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'other' }, service: { port: 9898, name: 'podinfo' } },
    );
    second.metadata = { name: 'second', namespace: NS, creationTimestamp: '2026-01-02T00:00:00Z' };
    w.kube.put(Resources.canaries, second);
    const writes = w.kube.writes.length;
    const result = await w.reconciler.reconcile(`${NS}/second`, new AbortController().signal);
    const stored = w.kube.get<Canary>(Resources.canaries, NS, 'second')!;
    expect(stored.status?.conditions?.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', reason: 'Conflict' });
    expect(w.events).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'Conflict' }));
    expect(w.kube.writes.slice(writes).map((x) => x.kind)).toEqual(['Canary']);
    expect(result.requeueAfterMs).toBe(30_000);
    expect(w.deployment('other-primary')).toBeUndefined();

    w.kube.delete(Resources.canaries, NS, 'podinfo');
    await w.reconciler.reconcile(`${NS}/second`, new AbortController().signal);
    expect(w.kube.get<Canary>(Resources.canaries, NS, 'second')!.status?.conditions?.find((c) => c.type === 'Stalled')?.status).not.toBe(
      'True',
    );
  });
});
