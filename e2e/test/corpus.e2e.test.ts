import fs from 'node:fs';
import path from 'node:path';
import { loadAll } from 'js-yaml';
import type { Canary, KubeObject } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { Resources, type ResourceType } from '@tollgate/operator/kube/resources';
import { createNamespace, ingressFor, sampleDeployment } from '../src/harness/fixtures.js';
import { OperatorProcess } from '../src/harness/operator-process.js';
import type { ScaledObject } from '@tollgate/operator/targets/scaled-object-spec';
import { installCrds } from '../src/cluster/crds.js';
import { CORPUS, KEDA_CRDS } from '../src/harness/paths.js';
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
  const created: { ns: string; doc: Doc }[] = [];

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
        created.push({ ns, doc: obj });
      }
    }
    expect(created.filter((c) => c.doc.kind === 'Canary').length).toBeGreaterThanOrEqual(15);
  });

  it('are each handled by the operator: initialized, or reported in a condition; the operator never crashes', async () => {
    const canaries = created.filter((c) => c.doc.kind === 'Canary');
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
    const namespaces = [...new Set(canaries.map((c) => c.ns))];
    const operator = new OperatorProcess({
      kubeconfig: envInfo().kubeconfig,
      prometheusUrl: envInfo().prometheusUrl,
      namespaces,
      logDir: RUN_DIR,
    });
    operator.start();
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
      const log = fs.readFileSync(operator.logFile!, 'utf8');
      expect(log).not.toMatch(/"level":"fatal"/);
      fs.writeFileSync(path.join(RUN_DIR, 'corpus-outcomes.txt'), [...outcome].map(([k, v]) => `${k}\t${v}`).join('\n'));
    } finally {
      await operator.stop();
    }
  });
});
