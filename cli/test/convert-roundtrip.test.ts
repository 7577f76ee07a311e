/**
 * Round trip of `tollgate convert` on the Flagger corpus: for every Canary of every corpus file, the objects the
 * operator would manage for the converted Canary (computed with the operator's own pure code, no cluster) are the
 * objects Flagger manages for the original manifest, written here from Flagger's source (each rule cites its file in
 * fluxcd/flagger). Compared: the -primary workload's name, selector and pod label; the apex, -primary and -canary
 * Services' names, selectors and ports; the -primary HPA or ScaledObject and what it scales; and, where the operator
 * has a pure spec builder and Flagger's router was read (Istio's VirtualService and DestinationRules, the SMI
 * TrafficSplit of linkerd, smi:v1alpha2 and osm, the Gateway API HTTPRoute of gatewayapi:v1, Contour's HTTPProxy,
 * Traefik's TraefikService), the route object's name, hosts (or root service, gateways, parentRefs), backend ports
 * and initial weights. Other providers (nginx, gloo, apisix, appmesh, kuma, kubernetes): names, selectors and ports
 * only, no route object.
 * Knative targets (no -primary workload and no Services, in Flagger as in Tollgate): skipped. Not compared: labels
 * and annotations of the generated objects other than the selector label, the pod template beyond that label, the
 * route objects' match rules, retries, timeouts and other routing options.
 *
 * The corpus holds no Deployments: each Canary is checked against a synthetic target workload, once for each of
 * Flagger's default selector labels (app, name, app.kubernetes.io/name), with a label value that differs from the
 * workload's name (so a rule using the name where Flagger uses the label value is caught), and a second container
 * port (so portDiscovery is exercised).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { primaryName } from '@tollgate/contract/metadata';
import type { Deployment, ServiceSpecPort } from '@tollgate/operator/api/k8s';
import type { Canary } from '@tollgate/operator/api/types';
import { resolveAnalysis } from '@tollgate/operator/core/analysis';
import { routesFor } from '@tollgate/operator/meshes/router';
import { selectorOf, serviceNames, servicePorts, type ServiceRole } from '@tollgate/operator/meshes/services';
import { destinationRuleSpec, virtualServiceSpec } from '@tollgate/operator/meshes/istio/spec';
import { quantityValue, trafficSplitSpec, type SmiVersion } from '@tollgate/operator/meshes/smi/router';
import { httpRouteSpec } from '@tollgate/operator/meshes/gateway-api/spec';
import { httpProxySpec } from '@tollgate/operator/meshes/contour/spec';
import { traefikServiceSpec } from '@tollgate/operator/meshes/traefik/spec';
import {
  deploymentSpecFields,
  discoveredPorts,
  primaryTemplateOf,
  primaryWorkloadOf,
  selectorLabelOf,
} from '@tollgate/operator/targets/deployment-spec';
import { primaryScaledObjectSpec } from '@tollgate/operator/targets/scaled-object-spec';
import type { TargetInfo } from '@tollgate/operator/targets/target';
import { convertManifests } from '../src/convert/convert.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CORPUS = path.join(ROOT, 'e2e', 'flagger-corpus');
const DEFAULTS = JSON.parse(fs.readFileSync(path.join(CORPUS, 'operator-defaults.json'), 'utf8')) as {
  entries: Record<string, { meshProvider: string }>;
};

/** Flagger's default -selector-labels flag (cmd/flagger/main.go), also the operator's default (operator/src/config.ts). */
const SELECTOR_LABELS = ['app', 'name', 'app.kubernetes.io/name'] as const;
const DISCOVERED = { name: 'metrics', containerPort: 9797 };

type Json = Record<string, unknown>;
type Port = ServiceSpecPort;
interface ServiceModel {
  name: string;
  selector: Record<string, string>;
  ports: Port[];
}
/** What a controller manages for a Canary, in the terms both sides are compared in. */
interface Managed {
  primaryWorkload: { name: string; matchLabels: Record<string, string>; podLabel: string | undefined };
  services: Record<ServiceRole, ServiceModel>;
  scaler?: { kind: string; name: string; scaleTargetName: string };
  route?: { kind: string; name: string; root: string[]; weights: Record<string, number>; ports: number[]; destinationRules?: string[] };
}

interface Entry {
  file: string;
  flagger: Json;
  converted: Canary;
  provider: string;
}

const yamlFiles = fs
  .readdirSync(CORPUS)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

const canariesOf = (text: string): Json[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Json | null)
    .filter((d): d is Json => d?.kind === 'Canary');

const providerOf = (file: string, canary: Json): string =>
  ((canary.spec as Json).provider as string | undefined) ?? DEFAULTS.entries[file]?.meshProvider ?? 'istio';

/** Every Canary of the corpus, as written and as `tollgate convert` writes it. */
function entries(convert: (text: string) => string = (t) => convertManifests([{ file: 'in.yaml', text: t }]).text): Entry[] {
  return yamlFiles.flatMap((file) => {
    const text = fs.readFileSync(path.join(CORPUS, file), 'utf8');
    const before = canariesOf(text);
    const after = canariesOf(convert(text));
    expect(after.map((c) => c.apiVersion)).toEqual(before.map(() => 'tollgate.dev/v1beta1'));
    return before.map((flagger, i) => ({ file, flagger, converted: after[i] as unknown as Canary, provider: providerOf(file, flagger) }));
  });
}

/** The target workload the Canary refers to: one selector label (valued unlike the name), the service's port and one more. */
function workloadFor(c: Json, key: string): Deployment {
  const spec = c.spec as Json;
  const name = (spec.targetRef as Json).name as string;
  const svc = spec.service as Json;
  const target = svc.targetPort ?? svc.port;
  const main = typeof target === 'string' ? { name: target, containerPort: 8080 } : { name: 'http', containerPort: Number(target) };
  const labels = { [key]: `${name}-pods`, team: 'corpus' };
  return {
    apiVersion: 'apps/v1',
    kind: (spec.targetRef as Json).kind as string,
    metadata: { name, namespace: 'test', labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: { [key]: `${name}-pods` } },
      template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'app:1', ports: [main, DISCOVERED] }] } },
    },
  } as unknown as Deployment;
}

// ---------------------------------------------------------------------------------------------------------------
// Flagger's side, from its source (fluxcd/flagger). Written over the untyped original manifest.
// ---------------------------------------------------------------------------------------------------------------

/** pkg/apis/flagger/v1beta1/canary.go GetServiceNames: apex = service.name or targetRef.name; `<apex>-primary`, `<apex>-canary`. */
function flaggerServiceNames(spec: Json): Record<ServiceRole, string> {
  const apex = ((spec.service as Json).name as string | undefined) || ((spec.targetRef as Json).name as string);
  return { apex, primary: `${apex}-primary`, canary: `${apex}-canary` };
}

/**
 * pkg/canary/deployment_controller.go getSelectorLabel: the first of the -selector-labels found in
 * spec.selector.matchLabels (daemonset_controller.go: the same).
 */
function flaggerSelector(w: Deployment): { label: string; value: string } {
  const label = SELECTOR_LABELS.find((l) => w.spec.selector.matchLabels?.[l] !== undefined)!;
  return { label, value: w.spec.selector.matchLabels![label]! };
}

/**
 * pkg/router/kubernetes_default.go reconcileService: port name portName or "http", port service.port, targetPort
 * service.targetPort or service.port, protocol TCP; with portDiscovery the container ports from
 * pkg/canary/util.go getPorts (the main target port excluded; named by the port's name or tcp-<container>-<i>).
 */
function flaggerPorts(spec: Json, w: Deployment): Port[] {
  const svc = spec.service as Json;
  const main: Port = {
    name: (svc.portName as string) || 'http',
    port: Number(svc.port),
    targetPort: (svc.targetPort as number | string) ?? Number(svc.port),
    protocol: 'TCP',
    ...(svc.appProtocol ? { appProtocol: svc.appProtocol as string } : {}),
  };
  if (!svc.portDiscovery) return [main];
  const extra = w.spec.template.spec.containers.flatMap((c) =>
    (c.ports ?? [])
      .filter((p) => (typeof main.targetPort === 'string' ? p.name !== main.targetPort : p.containerPort !== main.targetPort))
      .map((p, i) => ({ name: p.name ?? `tcp-${c.name}-${i}`, port: p.containerPort, targetPort: p.containerPort, protocol: 'TCP' })),
  );
  return [main, ...extra];
}

/**
 * pkg/router/factory.go MeshRouter: linkerd is the SmiRouter (split.smi-spec.io/v1alpha1), smi:v1alpha2 and osm the
 * Smiv1alpha2Router, gatewayapi:v1 the GatewayAPIRouter, istio (and the default) the IstioRouter.
 */
const FLAGGER_SMI_VERSION: Record<string, string> = { linkerd: 'v1alpha1', 'smi:v1alpha2': 'v1alpha2', osm: 'v1alpha2' };

/**
 * The route object Flagger writes at initialisation, for the providers whose router was read:
 * - pkg/router/istio.go reconcileVirtualService: named like the apex Service; hosts = service.hosts plus the apex unless
 *   it or "*" is there; gateways = service.gateways or ["mesh"]; destinations `<apex>-primary` weight 100 and
 *   `<apex>-canary` weight 0 on service.port (makeDestination); DestinationRules `<apex>-primary` and `<apex>-canary`.
 * - pkg/router/smi.go and smi_v1alpha2.go Reconcile: a TrafficSplit named like the apex, its service
 *   service.hosts[0] or the apex, backends `<apex>-canary` 0 and `<apex>-primary` 100 (v1alpha1: quantities).
 * - pkg/router/gateway_api.go Reconcile: an HTTPRoute named like the apex, parentRefs service.gatewayRefs, hostnames
 *   service.hosts, a rule with backendRefs `<apex>-primary` initialPrimaryWeight (100) and `<apex>-canary`
 *   initialCanaryWeight (0) on service.port.
 * - pkg/router/contour.go Reconcile: an HTTPProxy named like the apex, its first route's services `<apex>-primary`
 *   100 and `<apex>-canary` 0 on service.port (A/B: the first route is the matched one, with the same weights).
 * - pkg/router/traefik.go Reconcile: a TraefikService named like the apex, weighted services: `<apex>-primary` alone,
 *   weight 100, on service.port (the canary is listed only once it has a weight, SetRoutes).
 */
function flaggerRoute(provider: string, spec: Json): Managed['route'] {
  const names = flaggerServiceNames(spec);
  const svc = spec.service as Json;
  const hosts = (svc.hosts as string[] | undefined) ?? [];
  const weights = { [names.primary]: 100, [names.canary]: 0 };
  const port = Number(svc.port);
  if (provider === 'istio') {
    const gateways = (svc.gateways as string[] | undefined) ?? [];
    const root = [...hosts, ...(hosts.includes(names.apex) || hosts.includes('*') ? [] : [names.apex])];
    const destinationRules = [names.primary, names.canary];
    return {
      kind: 'VirtualService',
      name: names.apex,
      root: [...root, ...(gateways.length ? gateways : ['mesh'])],
      weights,
      ports: [port],
      destinationRules,
    };
  }
  const smi = FLAGGER_SMI_VERSION[provider];
  if (smi) return { kind: `TrafficSplit ${smi}`, name: names.apex, root: [hosts[0] ?? names.apex], weights, ports: [] };
  if (provider === 'contour') return { kind: 'HTTPProxy', name: names.apex, root: [], weights, ports: [port] };
  if (provider === 'traefik')
    return { kind: 'TraefikService', name: names.apex, root: [], weights: { [names.primary]: 100 }, ports: [port] };
  if (provider === 'gatewayapi:v1') {
    const parents = ((svc.gatewayRefs as Json[] | undefined) ?? []).map((r) => r.name as string);
    return { kind: 'HTTPRoute', name: names.apex, root: [...hosts, ...parents], weights, ports: [port] };
  }
  return undefined;
}

/** pkg/canary/hpa_reconciler.go and scaled_object_reconciler.go: `<autoscaler>-primary`, scaling `<target>-primary`. */
function flaggerScaler(spec: Json): Managed['scaler'] {
  const ref = spec.autoscalerRef as Json | undefined;
  if (!ref) return undefined;
  return {
    kind: ref.kind as string,
    name: `${ref.name as string}-primary`,
    scaleTargetName: `${(spec.targetRef as Json).name as string}-primary`,
  };
}

/** What Flagger manages for the original manifest and target workload. */
function flaggerManaged(entry: Entry, w: Deployment): Managed {
  const spec = entry.flagger.spec as Json;
  const { label, value } = flaggerSelector(w);
  const names = flaggerServiceNames(spec);
  const ports = flaggerPorts(spec, w);
  // kubernetes_default.go Initialize/Reconcile: canary selects <value>, primary and apex <value>-primary.
  const service = (role: ServiceRole): ServiceModel => ({
    name: names[role],
    selector: { [label]: role === 'canary' ? value : `${value}-primary` },
    ports,
  });
  const scaler = flaggerScaler(spec);
  const route = flaggerRoute(entry.provider, spec);
  return {
    // deployment_controller.go createPrimaryDeployment: `<target>-primary`, matchLabels {label: <value>-primary},
    // pod template labels via makePrimaryLabels (the selector label set to <value>-primary).
    primaryWorkload: {
      name: `${(spec.targetRef as Json).name as string}-primary`,
      matchLabels: { [label]: `${value}-primary` },
      podLabel: `${value}-primary`,
    },
    services: { apex: service('apex'), primary: service('primary'), canary: service('canary') },
    ...(scaler ? { scaler } : {}),
    ...(route ? { route } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Tollgate's side: the operator's own pure functions over the converted Canary.
// ---------------------------------------------------------------------------------------------------------------

/** TargetInfo as WorkloadTarget.describe builds it (operator/src/targets/workload-target.ts). */
function targetInfo(canary: Canary, w: Deployment): TargetInfo {
  const sel = selectorLabelOf(w, SELECTOR_LABELS);
  return {
    name: w.metadata.name!,
    primaryName: primaryName(w.metadata.name!),
    selectorLabel: sel.key,
    selectorValue: sel.value,
    revision: 'r1',
    configs: { refs: [], checksums: {} },
    extraPorts: canary.spec.service?.portDiscovery ? discoveredPorts(w, canary.spec.service) : [],
  };
}

/** The weights of the rule routing to both primary and canary (an A/B fallback rule routes to the primary alone). */
function splitOf(rules: Json[], key: string, hostOf: (backend: Json) => string): { weights: Record<string, number>; ports: number[] } {
  const both = rules.map((r) => (r[key] ?? []) as Json[]).find((backends) => backends.length === 2) ?? [];
  return {
    weights: Object.fromEntries(both.map((b) => [hostOf(b), b.weight as number])),
    ports: [...new Set(both.map((b) => Number(((b.destination as Json | undefined)?.port as Json | undefined)?.number ?? b.port)))],
  };
}

/**
 * The route object the operator writes at initialisation (routesFor(0)), from its spec builders: istio/spec.ts
 * virtualServiceSpec and destinationRuleSpec, smi/router.ts trafficSplitSpec (linkerd/router.ts: v1alpha2 without
 * gatewayRefs; smi/index.ts: osm is v1alpha2), gateway-api/spec.ts httpRouteSpec, contour/spec.ts httpProxySpec,
 * traefik/spec.ts traefikServiceSpec. The routers name it like the apex Service (istio/router.ts, apex-router.ts).
 */
function tollgateRoute(provider: string, canary: Canary): Managed['route'] {
  const names = serviceNames(canary);
  const strategy = resolveAnalysis(canary.spec, provider);
  const routes = routesFor(0);
  if (provider === 'istio') {
    const vs = virtualServiceSpec(canary, routes, strategy);
    const split = splitOf(
      [...((vs.http ?? []) as Json[]), ...((vs.tcp ?? []) as Json[])],
      'route',
      (d) => (d.destination as Json).host as string,
    );
    const destinationRules = [names.primary, names.canary].map((h) => destinationRuleSpec(canary, h).host as string);
    return {
      kind: 'VirtualService',
      name: names.apex,
      root: [...(vs.hosts as string[]), ...(vs.gateways as string[])],
      ...split,
      destinationRules,
    };
  }
  const smi =
    provider === 'linkerd'
      ? canary.spec.service?.gatewayRefs?.length
        ? undefined
        : 'v1alpha2'
      : { 'smi:v1alpha2': 'v1alpha2', osm: 'v1alpha2' }[provider];
  if (smi) {
    const ts = trafficSplitSpec(canary, routes, smi as SmiVersion);
    const weights = Object.fromEntries((ts.backends as Json[]).map((b) => [b.service as string, quantityValue(b.weight)]));
    return { kind: `TrafficSplit ${smi}`, name: names.apex, root: [ts.service as string], weights, ports: [] };
  }
  if (provider === 'contour') {
    const split = splitOf(httpProxySpec(canary, routes, strategy).routes as Json[], 'services', (b) => b.name as string);
    return { kind: 'HTTPProxy', name: names.apex, root: [], ...split };
  }
  if (provider === 'traefik') {
    const services = ((traefikServiceSpec(canary, routes).weighted as Json).services ?? []) as Json[];
    const weights = Object.fromEntries(services.map((b) => [b.name as string, b.weight as number]));
    return { kind: 'TraefikService', name: names.apex, root: [], weights, ports: [...new Set(services.map((b) => b.port as number))] };
  }
  if (provider === 'gatewayapi:v1') {
    const hr = httpRouteSpec(canary, routes, strategy, 'gateway');
    const split = splitOf(hr.rules as Json[], 'backendRefs', (b) => b.name as string);
    const root = [...((hr.hostnames ?? []) as string[]), ...(hr.parentRefs as Json[]).map((r) => r.name as string)];
    return { kind: 'HTTPRoute', name: names.apex, root, ...split };
  }
  return undefined;
}

/** autoscaler.ts AutoscalerReconciler and scaled-object-spec.ts primaryScaledObjectSpec: the -primary copy and its target. */
function tollgateScaler(canary: Canary): Managed['scaler'] {
  const ref = canary.spec.autoscalerRef;
  if (!ref) return undefined;
  const scaleTargetName =
    ref.kind === 'ScaledObject'
      ? (primaryScaledObjectSpec({ scaleTargetRef: { name: canary.spec.targetRef.name }, triggers: [] }, ref, canary.spec.targetRef.name)
          .scaleTargetRef.name as string)
      : primaryName(canary.spec.targetRef.name);
  return { kind: String(ref.kind), name: primaryName(String(ref.name)), scaleTargetName };
}

/** What the operator manages for the converted Canary and the same target workload. */
function tollgateManaged(entry: Entry, target: Deployment): Managed {
  const canary = { ...entry.converted, metadata: { namespace: 'test', ...entry.converted.metadata } } as Canary;
  // The operator reads the workload its targetRef names (workload-target.ts target()): TargetNotFound otherwise.
  const w = canary.spec.targetRef.name === target.metadata.name && canary.spec.targetRef.kind === target.kind ? target : undefined;
  if (!w) throw new Error(`${canary.spec.targetRef.kind} ${canary.spec.targetRef.name} not found`);
  const info = targetInfo(canary, w);
  const sel = { key: info.selectorLabel, value: info.selectorValue };
  const owner = { apiVersion: 'tollgate.dev/v1beta1', kind: 'Canary', name: canary.metadata.name!, uid: 'u', controller: true };
  const primary = primaryWorkloadOf(
    w.kind!,
    w,
    canary,
    sel,
    owner,
    primaryTemplateOf(w.spec.template, sel, info.revision),
    deploymentSpecFields(w),
  );
  const names = serviceNames(canary);
  const ports = servicePorts(canary, info);
  const service = (role: ServiceRole): ServiceModel => ({ name: names[role], selector: selectorOf(info, role), ports });
  const scaler = tollgateScaler(canary);
  const route = tollgateRoute(entry.provider, canary);
  return {
    primaryWorkload: {
      name: primary.metadata.name!,
      matchLabels: primary.spec.selector.matchLabels!,
      podLabel: primary.spec.template.metadata?.labels?.[sel.key],
    },
    services: { apex: service('apex'), primary: service('primary'), canary: service('canary') },
    ...(scaler ? { scaler } : {}),
    ...(route ? { route } : {}),
  };
}

/**
 * Where the operator deliberately writes something else than Flagger, each with its reason. Applied to Flagger's side
 * before the comparison; a test below checks each one still holds (Flagger's side has the value named here).
 */
const KNOWN_DIFFERENCES: { provider: string; field: 'route.kind'; flagger: string; tollgate: string; why: string }[] = [
  {
    provider: 'linkerd',
    field: 'route.kind',
    flagger: 'TrafficSplit v1alpha1',
    tollgate: 'TrafficSplit v1alpha2',
    why: 'operator/src/meshes/linkerd/router.ts writes split.smi-spec.io/v1alpha2, the version the linkerd-smi extension serves',
  },
];

function expected(e: Entry, w: Deployment): Managed {
  const m = flaggerManaged(e, w);
  for (const d of KNOWN_DIFFERENCES) if (d.provider === e.provider && m.route?.kind === d.flagger) m.route.kind = d.tollgate;
  return m;
}

/** Both sides, for each selector label, for every Canary of the corpus that has a workload target. */
const cases = (list: Entry[]) =>
  list
    .filter((e) => e.provider !== 'knative')
    .flatMap((e) => SELECTOR_LABELS.map((key) => ({ e, key, w: workloadFor(e.flagger, key) })))
    .map(({ e, key, w }) => ({ name: `${e.file} ${String((e.flagger.metadata as Json).name)} (${e.provider}, label ${key})`, e, w }));

describe('tollgate convert round trip on the Flagger corpus', () => {
  const all = entries();

  it('covers every Canary of the corpus (the Knative one has no workload to compare and is skipped)', () => {
    expect(all.length).toBeGreaterThanOrEqual(20);
    expect(all.filter((e) => e.provider === 'knative').map((e) => e.file)).toEqual(['flagger--knative-canary.yaml']);
    const routed = all.filter((e) => e.provider !== 'knative' && flaggerRoute(e.provider, e.flagger.spec as Json)).map((e) => e.provider);
    expect(new Set(routed)).toEqual(new Set(['istio', 'linkerd', 'smi:v1alpha2', 'osm', 'gatewayapi:v1', 'contour', 'traefik']));
  });

  it.each(cases(all).map((c) => [c.name, c] as const))('%s: the operator manages what Flagger manages', (_name, c) => {
    expect(tollgateManaged(c.e, c.w)).toEqual(expected(c.e, c.w));
  });

  it.each(KNOWN_DIFFERENCES.map((d) => [d.provider, d] as const))('the known difference for %s still holds', (_p, d) => {
    const hit = cases(all).filter((c) => c.e.provider === d.provider);
    expect(hit.length).toBeGreaterThan(0);
    for (const c of hit) {
      expect(flaggerManaged(c.e, c.w).route?.kind).toBe(d.flagger);
      expect(tollgateManaged(c.e, c.w).route?.kind).toBe(d.tollgate);
    }
  });
});

describe('the round trip catches a wrong conversion', () => {
  const real = (text: string): string => convertManifests([{ file: 'in.yaml', text }]).text;
  /** A conversion that also rewrites the first match of one pattern in each file (as a buggy convert could). */
  const tampered = (from: RegExp, to: string) => (text: string) => real(text).replace(from, to);
  /** The corpus files (with a workload target) whose conversion the tampering changes. */
  const changed = (convert: (text: string) => string): string[] =>
    yamlFiles.filter((f) => {
      const text = fs.readFileSync(path.join(CORPUS, f), 'utf8');
      return convert(text) !== real(text) && canariesOf(text).some((c) => providerOf(f, c) !== 'knative');
    });
  /** The corpus files with a Canary on which the operator would not manage what Flagger does (or would fail). */
  const mismatches = (list: Entry[]): string[] => [
    ...new Set(
      cases(list)
        .filter((c) => {
          try {
            return JSON.stringify(tollgateManaged(c.e, c.w)) !== JSON.stringify(expected(c.e, c.w));
          } catch {
            return true;
          }
        })
        .map((c) => c.e.file),
    ),
  ];
  const caught = (convert: (text: string) => string): void => {
    const files = changed(convert);
    expect(files.length).toBeGreaterThan(0);
    expect(mismatches(entries(convert)).sort()).toEqual(files);
  };

  it('passes with the real conversion', () => {
    expect(mismatches(entries())).toEqual([]);
  });

  it('a changed service port is caught in every file', () => {
    caught(tampered(/^(\s+)port: (\d+)$/m, '$1port: 1$2'));
  });

  it('a changed targetPort is caught in every file that sets one', () => {
    caught(tampered(/^(\s+)targetPort: (\S+)$/m, '$1targetPort: 7$2'));
  });

  it('a changed service name is caught (flagger-k6-webhook sets service.name)', () => {
    const convert = tampered(/^(\s+)name: my-app-svc$/m, '$1name: my-app-other');
    expect(changed(convert)).toEqual(['flagger-k6-webhook--dev-workload.dist.yaml']);
    caught(convert);
  });

  it('a changed targetRef is caught in every file', () => {
    caught(tampered(/(targetRef:\s*\n(?:\s+\w+: .*\n)*?\s+name: )(\S+)/, '$1$2x'));
  });

  it('a changed autoscalerRef is caught in every file that has one', () => {
    caught(tampered(/(autoscalerRef:\s*\n(?:\s+\w+: .*\n)*?\s+name: )(\S+)/, '$1$2x'));
  });

  it('a dropped service.hosts is caught by the Istio VirtualService check', () => {
    const e = entries().find((x) => x.file === 'flagger--readme-canary.yaml')!;
    const spec = e.flagger.spec as Json;
    const withHosts = {
      ...e,
      flagger: { ...e.flagger, spec: { ...spec, service: { ...(spec.service as Json), hosts: ['app.example.com'] } } },
    };
    const w = workloadFor(withHosts.flagger, 'app');
    expect(tollgateManaged(withHosts, w).route).not.toEqual(expected(withHosts, w).route);
  });
});
