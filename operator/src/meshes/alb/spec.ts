import type { Canary, StringMatch } from '../../api/types.js';
import { ingressBackends, type Ingress } from '../ingress.js';
import { routesFor, routesOfWeights, type Routes, type RouteStrategy } from '../router.js';
import { serviceNames } from '../services.js';

/*
 * AWS Load Balancer Controller (ALB) canaries, as Argo Rollouts' ALB traffic router: the user's Ingress
 * (spec.ingressRef) sends the apex Service to port name `use-annotation`, so the controller reads that path's action
 * from the annotation `alb.ingress.kubernetes.io/actions.<apex>`: a forward action weighing target groups of
 * `<apex>-primary` and `<apex>-canary`. The router owns only its annotation keys (and, while an A/B release runs,
 * the paths it adds); everything else on the user's Ingress is left as it is.
 */

type Json = Record<string, unknown>;

export const ALB_PREFIX = 'alb.ingress.kubernetes.io';
/** The port name that makes the ALB controller read a path's action from its actions.<service name> annotation. */
export const USE_ANNOTATION = 'use-annotation';
export const actionKey = (action: string): string => `${ALB_PREFIX}/actions.${action}`;
export const conditionsKey = (action: string): string => `${ALB_PREFIX}/conditions.${action}`;

/**
 * The action of the A/B paths: named after the canary Service (a valid backend name of the same length), it forwards
 * everything to `<apex>-canary` under the conditions of conditions.<apex>-canary; the apex action after it takes the rest.
 */
export const matchActionName = (canary: Canary): string => serviceNames(canary).canary;

/** One ALB condition (the controller's conditions annotation; here only http-header). */
export interface AlbCondition {
  field: 'http-header';
  httpHeaderConfig: { httpHeaderName: string; values: string[] };
}

const WILDCARD = /[*?]/;

function headerValue(name: string, m: StringMatch, at: string): string | string[] {
  const literal = m.exact ?? m.prefix ?? m.suffix;
  if (m.regex !== undefined) return [`${at}.headers.${name}: ALB matches header values with * and ? wildcards, not regex`];
  if (literal === undefined) return [`${at}.headers.${name}: ALB cannot match the presence of a header: give exact, prefix or suffix`];
  if (WILDCARD.test(literal)) return [`${at}.headers.${name}: ALB reads * and ? in a value as wildcards`];
  if (m.prefix !== undefined) return `${literal}*`;
  return m.suffix !== undefined ? `*${literal}` : literal;
}

/**
 * The A/B conditions (analysis.match, Istio's HTTPMatchRequest shape) as ALB http-header conditions. An ALB rule
 * requires all its conditions, so one match entry is taken, each of its headers one condition; several entries
 * (alternatives), uri, method or query conditions, and regex values are errors.
 */
export function albConditions(match: readonly Json[]): { conditions: AlbCondition[]; errors: string[] } {
  const errors: string[] = [];
  const conditions: AlbCondition[] = [];
  if (match.length > 1) errors.push("analysis.match: ALB requires all of a rule's conditions: give one match entry");
  match.slice(0, 1).forEach((entry) => {
    const at = 'analysis.match[0]';
    for (const key of Object.keys(entry).filter((k) => k !== 'headers' && k !== 'name'))
      errors.push(`${at}.${key}: the alb provider routes to the canary by request headers only`);
    const headers = Object.entries((entry.headers ?? {}) as Record<string, StringMatch>);
    if (headers.length === 0) errors.push(`${at}: needs a header condition for alb`);
    for (const [name, m] of headers) {
      const value = headerValue(name, m, at);
      if (Array.isArray(value)) errors.push(...value);
      else conditions.push({ field: 'http-header', httpHeaderConfig: { httpHeaderName: name, values: [value] } });
    }
  });
  return { conditions, errors };
}

const targetGroup = (serviceName: string, port: number, weight: number): Json => ({ serviceName, servicePort: String(port), weight });

/** The forward action of the apex path: primary and canary target groups at the split's weights. */
export function forwardAction(canary: Canary, routes: Routes): string {
  const names = serviceNames(canary);
  const port = canary.spec.service!.port;
  const targetGroups = [targetGroup(names.primary, port, routes.primaryWeight), targetGroup(names.canary, port, routes.canaryWeight)];
  return JSON.stringify({ type: 'forward', forwardConfig: { targetGroups } });
}

/** A forward action sending everything to one Service (the canary for A/B paths, the apex Service on finalize). */
export function forwardAllTo(service: string, port: number): string {
  return JSON.stringify({ type: 'forward', forwardConfig: { targetGroups: [targetGroup(service, port, 100)] } });
}

type Backend = { service?: { name?: unknown; port?: { name?: unknown; number?: unknown } } };
type Path = Json & { backend?: Backend };
type IngressRule = Json & { http?: Json & { paths?: Path[] } };

const sendsTo = (b: Backend | undefined, action: string): boolean => b?.service?.name === action && b.service.port?.name === USE_ANNOTATION;
const isAction = (p: Path, action: string): boolean => sendsTo(p.backend, action);

/**
 * What is wrong with the user's Ingress for the alb provider, naming what to change; undefined when a path sends the
 * apex Service to port `use-annotation` (the ALB controller then reads the action the router writes).
 */
export function ingressProblem(user: Ingress, canary: Canary): string | undefined {
  const apex = serviceNames(canary).apex;
  const where = `Ingress ${user.metadata.namespace}/${user.metadata.name}`;
  const backends = (ingressBackends(user.spec ?? {}) as Backend[]).filter((b) => b.service?.name === apex);
  if (backends.some((b) => sendsTo(b, apex))) return undefined;
  const fix = `set its backend to service {name: ${apex}, port: {name: ${USE_ANNOTATION}}} so the ALB controller reads the weights from annotation ${actionKey(apex)}`;
  if (backends.length === 0) return `${where} has no path to Service ${apex}: ${fix}`;
  return `${where} sends Service ${apex} to a port, not to the action: ${fix}`;
}

/** The rules with a copy of each apex action path, sent to the match action, before it (the A/B layout). */
export function withMatchPaths(spec: Json | undefined, apex: string, action: string): IngressRule[] {
  return ((spec?.rules ?? []) as IngressRule[]).map((r) => {
    if (!r.http?.paths) return r;
    const paths = r.http.paths.flatMap((p) => {
      if (isAction(p, action)) return [];
      if (!isAction(p, apex)) return [p];
      return [{ ...p, backend: { service: { name: action, port: { name: USE_ANNOTATION } } } }, p];
    });
    return { ...r, http: { ...r.http, paths } };
  });
}

/** The rules without the match action's paths. */
export function withoutMatchPaths(spec: Json | undefined, action: string): IngressRule[] {
  return ((spec?.rules ?? []) as IngressRule[]).map((r) =>
    r.http?.paths ? { ...r, http: { ...r.http, paths: r.http.paths.filter((p) => !isAction(p, action)) } } : r,
  );
}

/** The router's annotation keys and paths as they must be; a null annotation is one to remove. */
export interface AlbState {
  annotations: Record<string, string | null>;
  rules: IngressRule[];
}

/**
 * The state for a split: the apex action at the split's weights, or (A/B testing while the canary is on) all on the
 * primary with a match action before it sending matched requests to the canary.
 */
export function desiredState(user: Ingress, canary: Canary, routes: Routes, strategy: RouteStrategy): AlbState {
  const names = serviceNames(canary);
  const action = matchActionName(canary);
  const matching = strategy.strategy === 'ab-testing' && routes.canaryWeight > 0;
  if (!matching)
    return {
      annotations: { [actionKey(names.apex)]: forwardAction(canary, routes), [actionKey(action)]: null, [conditionsKey(action)]: null },
      rules: withoutMatchPaths(user.spec, action),
    };
  return {
    annotations: {
      [actionKey(names.apex)]: forwardAction(canary, routesFor(0)),
      [actionKey(action)]: forwardAllTo(names.canary, canary.spec.service!.port),
      [conditionsKey(action)]: JSON.stringify(albConditions(strategy.match as Json[]).conditions),
    },
    rules: withMatchPaths(user.spec, names.apex, action),
  };
}

/**
 * The state on finalize: the apex action forwards everything to the apex Service (the workload's pods once the
 * Canary is gone), the match action, its conditions and paths removed. The action stays: the user's path still
 * names `use-annotation`, and the ALB controller refuses such a path without its action.
 */
export function releasedState(user: Ingress, canary: Canary): AlbState {
  const apex = serviceNames(canary).apex;
  const action = matchActionName(canary);
  return {
    annotations: {
      [actionKey(apex)]: forwardAllTo(apex, canary.spec.service!.port),
      [actionKey(action)]: null,
      [conditionsKey(action)]: null,
    },
    rules: withoutMatchPaths(user.spec, action),
  };
}

/**
 * The JSON merge patch from the live Ingress to the state (only the router's keys, spec.rules only when they
 * change, guarded by the live resourceVersion); undefined when the Ingress already carries it.
 */
export function patchFor(live: Ingress, state: AlbState): Json | undefined {
  const current = live.metadata.annotations ?? {};
  const annotations = Object.fromEntries(
    Object.entries(state.annotations).filter(([k, v]) => (v === null ? k in current : current[k] !== v)),
  );
  const rulesChanged = JSON.stringify(live.spec?.rules ?? []) !== JSON.stringify(state.rules);
  if (Object.keys(annotations).length === 0 && !rulesChanged) return undefined;
  return {
    metadata: { resourceVersion: live.metadata.resourceVersion, ...(Object.keys(annotations).length ? { annotations } : {}) },
    ...(rulesChanged ? { spec: { rules: state.rules } } : {}),
  };
}

const parse = (text: string | undefined): Json | undefined => {
  try {
    const v = JSON.parse(text ?? '') as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The split the user's Ingress carries: 100 while the match action and its conditions are there (matched requests
 * go to the canary, as nginx's is read); otherwise the apex action's primary and canary target group weights.
 * Undefined when there is no action, or it does not weigh both (not written by the router yet).
 */
export function routesOfAlbIngress(canary: Canary, live: Ingress): Routes | undefined {
  const names = serviceNames(canary);
  const a = live.metadata.annotations ?? {};
  const action = matchActionName(canary);
  if (a[actionKey(action)] !== undefined && a[conditionsKey(action)] !== undefined) return routesFor(100);
  const config = parse(a[actionKey(names.apex)])?.forwardConfig as { targetGroups?: unknown } | undefined;
  const groups = Array.isArray(config?.targetGroups) ? (config.targetGroups as Json[]) : [];
  const weight = (service: string): number | undefined => {
    const w = groups.find((g) => g.serviceName === service)?.weight;
    return typeof w === 'number' && Number.isFinite(w) && w >= 0 ? w : undefined;
  };
  const primary = weight(names.primary);
  const canaryWeight = weight(names.canary);
  return primary === undefined || canaryWeight === undefined ? undefined : routesOfWeights(primary, canaryWeight);
}
