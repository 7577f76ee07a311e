import type { Canary, CanaryAnalysis, CanaryService, CanarySpec } from '../../src/api/types.js';
import { ownerRefOf } from '../../src/controller/deps.js';
import { resolveAnalysis } from '../../src/core/analysis.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { RouterDeps, RouteStrategy } from '../../src/meshes/router.js';
import type { TargetInfo } from '../../src/targets/target.js';
import { silentLogger } from '../../src/util/log.js';
import type { FakeKube } from './fake-kube.js';

/** A Canary `podinfo` in namespace `test` (uid `uid-podinfo`) for the router tests; service port 9898. */
export const canaryOf = (
  service: Partial<CanaryService> = {},
  analysis: CanaryAnalysis = { stepWeight: 10 },
  spec: Partial<CanarySpec> = {},
): Canary => ({
  apiVersion: 'tollgate.dev/v1beta1',
  kind: 'Canary',
  metadata: { name: 'podinfo', namespace: 'test', uid: 'uid-podinfo' },
  spec: {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
    service: { port: 9898, ...service },
    analysis,
    ...spec,
  },
});

/** A router's strategy input for a Canary, resolved as the reconciler resolves it (core/analysis.ts). */
export const strategyFor = (canary: Canary): RouteStrategy => resolveAnalysis(canary.spec, canary.spec.provider ?? 'istio');

/** The target as the Deployment target describes podinfo: pods labelled app=podinfo (canary) and app=podinfo-primary. */
export const TARGET: TargetInfo = {
  name: 'podinfo',
  primaryName: 'podinfo-primary',
  selectorLabel: 'app',
  selectorValue: 'podinfo',
  revision: 'rev-1',
  extraPorts: [],
  configs: { refs: [], checksums: {} },
};

/** RouterDeps over a FakeKube (optionally through another client, e.g. admittingClient). */
export const routerDepsOf = (kube: FakeKube, client: KubeClient = kube.client()): RouterDeps => ({
  client,
  informers: kube.registry(),
  ownerRef: ownerRefOf,
  logger: silentLogger(),
});

/** The owner reference every generated object carries. */
export const OWNER = {
  apiVersion: 'tollgate.dev/v1beta1',
  kind: 'Canary',
  name: 'podinfo',
  uid: 'uid-podinfo',
  controller: true,
  blockOwnerDeletion: true,
};

export const signal = (): AbortSignal => new AbortController().signal;

/** A deep copy in the test's realm (see fake-kube.ts: no structuredClone in jest's vm context). */
export const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
