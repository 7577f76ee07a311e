import fs from 'node:fs';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import type { Canary, KubeObject } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Resources, type ResourceType } from '@tollgate/operator/kube/resources';
import { installCrds } from '../src/cluster/crds.js';
import { createNamespace, ingressFor, sampleDeployment } from '../src/harness/fixtures.js';
import { OperatorProcess } from '../src/harness/operator-process.js';
import type { ScaledObject } from '@tollgate/operator/targets/scaled-object-spec';
import {
  CORPUS,
  GATEWAY_API_CRDS,
  KEDA_CRDS,
  KNATIVE_CRDS,
  KUMA_CRDS,
  KUMA_MESH_HTTP_ROUTE_CRDS,
  SMI_LINKERD_CRDS,
} from '../src/harness/paths.js';
import { KnativeStandIn, sampleKnativeService } from '../src/harness/knative.js';
import { client, envInfo, RUN_DIR, uniqueNs } from './env.js';

type Doc = KubeObject & { spec: Record<string, unknown> };

const RESOURCE: Record<string, ResourceType> = {
  Canary: Resources.canaries,
  MetricTemplate: Resources.metricTemplates,
  AlertProvider: Resources.alertProviders,
};

/** Every document of the Flagger corpus, converted by changing its apiVersion only. */
function corpus(): { file: string; docs: Doc[] }[] {
  return fs
    .readdirSync(CORPUS)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => ({
      file,
      docs: (loadAll(fs.readFileSync(path.join(CORPUS, file), 'utf8')) as Doc[])
        .filter((d) => d && d.apiVersion === 'flagger.app/v1beta1')
        .map((d) => ({ ...d, apiVersion: 'tollgate.dev/v1beta1' })),
    }));
}

/** The operator's default provider (MESH_PROVIDER unset), Flagger's too. */
const OPERATOR_DEFAULT = 'istio';

/**
 * The default provider each entry's source installs Flagger with, where it is not the operator's (the corpus index
 * e2e/flagger-corpus/operator-defaults.json, each with its source): a Canary without spec.provider is meant for it.
 */
const ENTRY_DEFAULTS = (
  JSON.parse(fs.readFileSync(path.join(CORPUS, 'operator-defaults.json'), 'utf8')) as {
    entries: Record<string, { meshProvider: string; source: string }>;
  }
).entries;
const defaultProviderOf = (file: string): string => ENTRY_DEFAULTS[file]?.meshProvider ?? OPERATOR_DEFAULT;

/** One operator per default provider, each watching the namespaces of the entries meant for it. */
function operatorsFor(canaries: { file: string; ns: string }[]): OperatorProcess[] {
  const byProvider = new Map<string, Set<string>>();
  for (const c of canaries) byProvider.set(defaultProviderOf(c.file), (byProvider.get(defaultProviderOf(c.file)) ?? new Set()).add(c.ns));
  return [...byProvider].map(
    ([provider, namespaces]) =>
      new OperatorProcess({
        kubeconfig: envInfo().kubeconfig,
        prometheusUrl: envInfo().prometheusUrl,
        namespaces: [...namespaces],
        logDir: RUN_DIR,
        label: `corpus-${provider.replace(/[^a-z0-9]/g, '-')}`,
        ...(provider === OPERATOR_DEFAULT ? {} : { extraEnv: { MESH_PROVIDER: provider } }),
      }),
  );
}

type ScalerRef = {
  name: string;
  primaryScalerQueries?: Record<string, string>;
  primaryScalerReplicas?: { minReplicas?: number; maxReplicas?: number };
};
const scaledObjectRef = (doc: Doc): ScalerRef | undefined => {
  const ref = doc.spec.autoscalerRef as (ScalerRef & { kind?: string }) | undefined;
  return ref?.kind === 'ScaledObject' ? ref : undefined;
};

/** The user's ScaledObject a Canary's autoscalerRef names, on its target: one Prometheus trigger per primaryScalerQueries entry, plus one. */
function usersScaledObject(ns: string, doc: Doc): ScaledObject {
  const ref = scaledObjectRef(doc)!;
  const target = (doc as unknown as Canary).spec.targetRef.name;
  const trigger = (name: string): ScaledObject['spec']['triggers'][number] => ({
    type: 'prometheus',
    name,
    metadata: {
      serverAddress: 'http://prometheus.monitoring:9090',
      query: `sum(rate(http_requests_total{app="${target}"}[30s]))`,
      threshold: '5',
    },
  });
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: ref.name, namespace: ns },
    spec: {
      scaleTargetRef: { name: target },
      minReplicaCount: 1,
      maxReplicaCount: 3,
      triggers: [...Object.keys(ref.primaryScalerQueries ?? {}), 'other'].map(trigger),
    },
  };
}

describe("real users' Flagger manifests with apiVersion tollgate.dev/v1beta1", () => {
  let kube: KubeClient;
  const created: { file: string; ns: string; doc: Doc }[] = [];

  beforeAll(async () => {
    kube = await client();
  });

  afterAll(() => kube.close());

  it('are all accepted by the API server, with nothing pruned', async () => {
    for (const [i, { file, docs }] of corpus().entries()) {
      const ns = uniqueNs(`corpus-${i}`);
      await createNamespace(kube, ns);
      for (const doc of docs) {
        const obj = { ...doc, metadata: { ...doc.metadata, namespace: ns } };
        const back = await kube.create<Doc>(RESOURCE[doc.kind!]!, obj).catch((err: Error) => {
          throw new Error(`${file} ${doc.kind}/${doc.metadata.name}: ${err.message}`);
        });
        expect({ file, spec: back.spec }).toEqual({ file, spec: doc.spec });
        created.push({ file, ns, doc: obj });
      }
    }
    expect(created.filter((c) => c.doc.kind === 'Canary').length).toBeGreaterThanOrEqual(15);
  });

  it('the corpus index names, for each entry with an operator default of its own, a file whose Canaries set no provider', () => {
    const files = new Map(corpus().map((c) => [c.file, c.docs]));
    for (const [file, entry] of Object.entries(ENTRY_DEFAULTS)) {
      const canaries = (files.get(file) ?? []).filter((d) => d.kind === 'Canary');
      expect({ file, canaries: canaries.length > 0, providers: canaries.map((d) => d.spec.provider ?? null) }).toEqual({
        file,
        canaries: true,
        providers: canaries.map(() => null),
      });
      expect(entry.source).toMatch(/meshProvider|mesh-provider/);
    }
  });

  it('are each handled by the operator their source assumes: initialized, or reported in a condition; the operators never crash', async () => {
    const canaries = created.filter((c) => c.doc.kind === 'Canary');
    const isKnative = (doc: Doc): boolean =>
      String((doc as unknown as Canary).spec.targetRef.apiVersion).startsWith('serving.knative.dev/');
    // A Knative Service target, with the stand-in of Knative's controller (e2e/src/harness/knative.ts) making its Revision.
    const knative = canaries.filter((c) => isKnative(c.doc));
    if (knative.length) await installCrds(kube, KNATIVE_CRDS);
    const standIns = knative.map(({ ns, doc }) => new KnativeStandIn(kube, ns, (doc as unknown as Canary).spec.targetRef.name));
    for (const [i, { ns, doc }] of knative.entries()) {
      await kube.create(Resources.knativeServices, sampleKnativeService(ns, (doc as unknown as Canary).spec.targetRef.name));
      standIns[i]!.start();
    }
    for (const { ns, doc } of canaries) {
      const target = (doc as unknown as Canary).spec.targetRef;
      if (target.kind === 'Deployment') await kube.create(Resources.deployments, sampleDeployment(ns, target.name)).catch(() => undefined);
      // The Ingress an ingressRef names (nginx), sending its host to the apex Service, as the user's would.
      const { ingressRef, service } = (doc as unknown as Canary).spec;
      if (typeof ingressRef?.name === 'string' && service)
        await kube
          .create(Resources.ingresses, ingressFor(ns, ingressRef.name, service.name || target.name, service.port))
          .catch(() => undefined);
    }
    const keda = canaries.filter((c) => scaledObjectRef(c.doc));
    if (keda.length) await installCrds(kube, [KEDA_CRDS]);
    for (const { ns, doc } of keda) await kube.create(Resources.scaledObjects, usersScaledObject(ns, doc));
    // The CRDs of the entries' own default providers (operator-defaults.json), so those entries can initialize.
    await installCrds(kube, [KUMA_CRDS, KUMA_MESH_HTTP_ROUTE_CRDS, SMI_LINKERD_CRDS, ...GATEWAY_API_CRDS]);
    const operators = operatorsFor(canaries);
    for (const op of operators) op.start();
    try {
      const outcome = new Map<string, string>();
      const deadline = Date.now() + 60_000;
      while (outcome.size < canaries.length && Date.now() < deadline) {
        for (const { ns, doc } of canaries) {
          const c = await kube.get<Canary>(Resources.canaries, ns, doc.metadata.name!);
          const stalled = c.status?.conditions?.find((x) => x.type === 'Stalled' && x.status === 'True');
          if (c.status?.phase === 'Initialized') outcome.set(`${ns}/${doc.metadata.name}`, 'Initialized');
          else if (stalled) outcome.set(`${ns}/${doc.metadata.name}`, `${stalled.reason}: ${stalled.message}`);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      expect([...outcome.keys()].sort()).toEqual(canaries.map((c) => `${c.ns}/${c.doc.metadata.name}`).sort());
      for (const reason of outcome.values())
        expect(reason).toMatch(/^(Initialized|Unsupported|InvalidSpec|TargetNotFound|TargetInvalid|RouterUnavailable)/);
      expect([...outcome.values()].filter((v) => v === 'Initialized').length).toBeGreaterThanOrEqual(3);
      // nginx Canaries initialize; one whose autoscalerRef names no HorizontalPodAutoscaler is stopped by that alone.
      for (const { ns, doc } of canaries.filter((c) => c.doc.spec.provider === 'nginx')) {
        const key = `${ns}/${doc.metadata.name}`;
        const expected = doc.spec.autoscalerRef
          ? expect.stringMatching(/^TargetInvalid: HorizontalPodAutoscaler .* not found/)
          : 'Initialized';
        expect({ key, outcome: outcome.get(key) }).toEqual({ key, outcome: expected });
      }
      // KEDA Canaries initialize, with a -primary ScaledObject carrying primaryScalerQueries and primaryScalerReplicas.
      expect(keda.length).toBeGreaterThanOrEqual(1);
      for (const { ns, doc } of keda) {
        const ref = scaledObjectRef(doc)!;
        expect({ key: `${ns}/${doc.metadata.name}`, outcome: outcome.get(`${ns}/${doc.metadata.name}`) }).toEqual({
          key: `${ns}/${doc.metadata.name}`,
          outcome: 'Initialized',
        });
        const primary = await kube.get<ScaledObject>(Resources.scaledObjects, ns, `${ref.name}-primary`);
        expect(primary.spec.scaleTargetRef.name).toBe(`${(doc as unknown as Canary).spec.targetRef.name}-primary`);
        for (const [trigger, query] of Object.entries(ref.primaryScalerQueries ?? {}))
          expect(primary.spec.triggers.find((t) => t.name === trigger)?.metadata.query).toBe(query);
        if (ref.primaryScalerReplicas?.minReplicas) expect(primary.spec.minReplicaCount).toBe(ref.primaryScalerReplicas.minReplicas);
        if (ref.primaryScalerReplicas?.maxReplicas) expect(primary.spec.maxReplicaCount).toBe(ref.primaryScalerReplicas.maxReplicas);
      }
      // Knative Canaries initialize on their Service's Revision.
      for (const { ns, doc } of knative) {
        const key = `${ns}/${doc.metadata.name}`;
        expect({ key, outcome: outcome.get(key) }).toEqual({ key, outcome: 'Initialized' });
      }
      await expectEntryDefaultsHonoured(kube, canaries, outcome);
      for (const op of operators) expect(fs.readFileSync(op.logFile!, 'utf8')).not.toMatch(/"level":"fatal"/);
      fs.writeFileSync(path.join(RUN_DIR, 'corpus-outcomes.txt'), [...outcome].map(([k, v]) => `${k}\t${v}`).join('\n'));
    } finally {
      for (const s of standIns) s.stop();
      for (const op of operators) await op.stop();
    }
  });
});

/** The routing object each entry default's router writes for the apex Service. */
const ROUTE_OF: Record<string, ResourceType> = {
  kuma: Resources.kumaMeshHttpRoutes,
  'gatewayapi:v1': Resources.httpRoutesV1,
  linkerd: Resources.trafficSplitsV1alpha2,
};

/**
 * An entry run under its source's default provider (its CRDs installed) was routed by it: initialized, its
 * provider's routing object written for the apex Service and owned by the Canary, and no Istio VirtualService.
 */
async function expectEntryDefaultsHonoured(
  kube: KubeClient,
  canaries: { file: string; ns: string; doc: Doc }[],
  outcome: Map<string, string>,
): Promise<void> {
  const meant = canaries.filter((c) => ENTRY_DEFAULTS[c.file]);
  expect(meant.length).toBe(Object.keys(ENTRY_DEFAULTS).length);
  for (const { file, ns, doc } of meant) {
    const vs = await kube.list(Resources.virtualServices, ns);
    expect({ file, outcome: outcome.get(`${ns}/${doc.metadata.name}`), virtualServices: vs.items.length }).toEqual({
      file,
      outcome: 'Initialized',
      virtualServices: 0,
    });
    const apex = (doc.spec.service as { name?: string }).name ?? (doc.spec.targetRef as { name: string }).name;
    const route = await kube.get<KubeObject>(ROUTE_OF[defaultProviderOf(file)]!, ns, apex);
    expect(route.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Canary', name: doc.metadata.name });
  }
}
