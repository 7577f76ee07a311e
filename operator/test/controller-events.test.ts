import type { Canary, KubeObject } from '../src/api/types.js';
import { CanaryController } from '../src/controller/controller.js';
import type { ControllerDeps } from '../src/controller/deps.js';
import type { ReleaseQueue } from '../src/controller/release-queue.js';
import type { Handler, Informer } from '../src/kube/informer.js';
import { Resources } from '../src/kube/resources.js';
import { OperatorMetrics } from '../src/telemetry/metrics.js';
import { silentLogger } from '../src/util/log.js';
import { aCanary } from './fakes/world.js';

/** A controller whose reconciles only record the key they were asked for (the Canary is never found). */
function controller(
  listed: Canary[] = [],
  extra: Partial<ControllerDeps> = {},
): {
  c: CanaryController;
  emit: Record<'add' | 'update', Handler<Canary>>;
  reconciled: () => Promise<string[]>;
  metrics: OperatorMetrics;
} {
  const reconciled: string[] = [];
  const emit = {} as Record<'add' | 'update' | 'delete', Handler<Canary>>;
  const informer = {
    on(event: 'add' | 'update' | 'delete', h: Handler<Canary>) {
      emit[event] = h;
      return informer;
    },
    list: () => [],
  } as unknown as Informer<Canary>;
  const metrics = new OperatorMetrics();
  const deps = {
    canaries: { get: (ns: string | undefined, name: string) => void reconciled.push(`${ns}/${name}`), list: () => listed },
    targets: {},
    metrics,
    logger: silentLogger(),
    ...extra,
  } as unknown as ControllerDeps;
  const c = new CanaryController(deps, { workers: 1, canaryInformer: informer });
  c.start();
  return { c, emit, metrics, reconciled: async () => (await new Promise((r) => setTimeout(r, 20)), reconciled) };
}

const owned = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name: `${name}-primary`,
    namespace: 'test',
    resourceVersion: '3',
    ownerReferences: [{ apiVersion: 'tollgate.dev/v1beta1', kind: 'Canary', name, uid: 'u' }],
  },
});

describe('CanaryController: which watch events start a reconcile', () => {
  it('given the echo of its own status write, then the Canary is not reconciled again; a change by anyone else is', async () => {
    const { c, emit, reconciled, metrics } = controller();
    const known = async (): Promise<number> => (await metrics.canaries.get()).values.length;
    try {
      const canary = aCanary();
      emit.update(canary, canary, true);
      expect(await reconciled()).toEqual([]);
      expect(await known()).toBe(0); // observed by the reconcile that wrote it, not again here
      emit.update(canary, canary, false);
      expect(await reconciled()).toEqual([`${canary.metadata.namespace}/${canary.metadata.name}`]);
      expect(await known()).toBe(1);
    } finally {
      await c.stop();
    }
  });

  it('given the echo of its own write of an owned object, then its Canary is not reconciled; a foreign change of it is', async () => {
    const { c, reconciled } = controller();
    try {
      c.onObject(Resources.services, owned('podinfo'), true);
      expect(await reconciled()).toEqual([]);
      c.onObject(Resources.services, owned('podinfo'), false);
      expect(await reconciled()).toEqual(['test/podinfo']);
    } finally {
      await c.stop();
    }
  });

  it('given a change of an Ingress, then only the Canaries whose spec.ingressRef names it are reconciled', async () => {
    const nginx = aCanary({}, { provider: 'nginx', ingressRef: { name: 'web' } });
    const other = { ...aCanary(), metadata: { name: 'other', namespace: 'test' } };
    const { c, emit, reconciled } = controller([nginx, other]);
    const ingress = (name: string): KubeObject => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, namespace: 'test' },
    });
    try {
      emit.add(nginx, undefined, true);
      emit.add(other, undefined, true);
      c.onObject(Resources.ingresses, ingress('unrelated'), false);
      expect(await reconciled()).toEqual([]);
      c.onObject(Resources.ingresses, ingress('web'), false);
      expect(await reconciled()).toEqual(['test/podinfo']);
      emit.update({ ...nginx, spec: { ...nginx.spec, ingressRef: { name: 'web2' } } }, nginx, true);
      c.onObject(Resources.ingresses, ingress('web'), false);
      expect(await reconciled()).toEqual(['test/podinfo']);
      c.onObject(Resources.ingresses, ingress('web2'), false);
      expect(await reconciled()).toEqual(['test/podinfo', 'test/podinfo']);
    } finally {
      await c.stop();
    }
  });
});

describe('CanaryController: the release queue', () => {
  const withPhase = (phase: NonNullable<Canary['status']>['phase'], queuedSince?: string): Canary => ({
    ...aCanary(),
    status: { phase, ...(queuedSince ? { queuedSince } : {}) },
  });

  it('given a release that ends (even by its own write) or a queued one that leaves, then the releases the queue admits are reconciled', async () => {
    const releaseQueue = { admissible: () => ['test/next-1', 'test/next-2'], observe: () => undefined } as unknown as ReleaseQueue;
    const { c, emit, reconciled } = controller([], { releaseQueue });
    try {
      emit.update(withPhase('Succeeded'), withPhase('Finalising'), true);
      expect(await reconciled()).toEqual(['test/next-1', 'test/next-2']);
    } finally {
      await c.stop();
    }
    const second = controller([], { releaseQueue });
    try {
      second.emit.update(withPhase('Succeeded'), withPhase('Waiting', '2026-01-01T00:00:00Z'), false);
      expect(await second.reconciled()).toEqual(['test/next-1', 'test/next-2', 'test/podinfo']);
    } finally {
      await second.c.stop();
    }
  });

  it('given a step inside a release, a release that starts, a queued one that stays queued, or a change between releases, then no other release is woken', async () => {
    const observed: string[] = [];
    const releaseQueue = {
      admissible: () => ['test/next'],
      observe: (c: Canary) => observed.push(c.status!.phase!),
    } as unknown as ReleaseQueue;
    const { c, emit, reconciled } = controller([], { releaseQueue });
    try {
      emit.update(withPhase('Progressing'), withPhase('Progressing'), true);
      emit.update(withPhase('Progressing'), withPhase('Waiting', '2026-01-01T00:00:00Z'), true);
      emit.update(withPhase('Waiting', '2026-01-01T00:00:00Z'), withPhase('Waiting', '2026-01-01T00:00:00Z'), false);
      emit.update(withPhase('Succeeded'), withPhase('Initialized'), true);
      expect(await reconciled()).toEqual(['test/podinfo']);
      // The queue sees every change, its own writes included.
      expect(observed).toEqual(['Progressing', 'Progressing', 'Waiting', 'Succeeded']);
    } finally {
      await c.stop();
    }
  });
});
