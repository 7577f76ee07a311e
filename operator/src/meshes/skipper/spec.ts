import type { Canary, OwnerReference } from '../../api/types.js';
import { LAST_APPLIED } from '@tollgate/contract/metadata';
import { cloneOf, type CloneProvider, type Ingress } from '../ingress.js';
import { routesFor, routesOfWeights, type Routes } from '../router.js';
import { serviceNames } from '../services.js';

/*
 * Skipper (as Flagger's skipper router): the user's Ingress (spec.ingressRef) is cloned as `<ingress>-canary`;
 * each of its paths to the apex Service goes to `<apex>-primary` in the clone, and a copy of that path to
 * `<apex>-canary` follows it. zalando.org/backend-weights splits between the two; the clone's predicate
 * Weight(100) makes its routes win over the user's Ingress for the same host and path, and False() turns them off
 * when the canary gets nothing, so the user's Ingress (to the apex Service, the primary pods) serves again.
 */

type Json = Record<string, unknown>;

export const SKIPPER_ANNOTATIONS = {
  backendWeights: 'zalando.org/backend-weights',
  predicate: 'zalando.org/skipper-predicate',
} as const;
const PRECEDENCE = 'Weight(100)';
const DISABLED = 'False()';

type Path = { backend?: { service?: { name?: unknown } } };

/**
 * The clone's spec: every path to the apex Service sent to the primary Service, followed by its copy to the canary
 * Service. Undefined when no path names the apex Service.
 */
export function skipperIngressSpec(user: Json | undefined, apex: string, primary: string, canary: string): Json | undefined {
  const spec = JSON.parse(JSON.stringify(user ?? {})) as Json;
  let found = false;
  for (const rule of (spec.rules ?? []) as { http?: { paths?: Path[] } }[]) {
    const paths = rule.http?.paths ?? [];
    const copies: Path[] = [];
    for (const path of paths.filter((p) => p.backend?.service?.name === apex)) {
      path.backend!.service!.name = primary;
      const copy = JSON.parse(JSON.stringify(path)) as Path;
      copy.backend!.service!.name = canary;
      copies.push(copy);
    }
    paths.push(...copies);
    found ||= copies.length > 0;
  }
  return found ? spec : undefined;
}

/** A Skipper predicate with `first` in front, any earlier Weight(100) or False() of ours dropped. */
export function withPredicate(raw: string | undefined, first: string): string {
  const rest = (raw ?? '')
    .split('&&')
    .map((p) => p.trim())
    .filter((p) => p !== '' && p !== PRECEDENCE && p !== DISABLED);
  return [first, ...rest].join(' && ');
}

/** The clone's annotations: the user's (without kubectl's record), the backend weights and the predicate. */
export function skipperAnnotations(user: Record<string, string> | undefined, routes: Routes, canary: Canary): Record<string, string> {
  const names = serviceNames(canary);
  const kept = Object.entries(user ?? {}).filter(([k]) => k !== LAST_APPLIED && k !== SKIPPER_ANNOTATIONS.backendWeights);
  return {
    ...Object.fromEntries(kept),
    [SKIPPER_ANNOTATIONS.backendWeights]: JSON.stringify({ [names.primary]: routes.primaryWeight, [names.canary]: routes.canaryWeight }),
    [SKIPPER_ANNOTATIONS.predicate]: withPredicate(user?.[SKIPPER_ANNOTATIONS.predicate], routes.canaryWeight > 0 ? PRECEDENCE : DISABLED),
  };
}

/** The clone as it must be: undefined when the user's Ingress has no path to the apex Service. */
export function skipperIngress(user: Ingress, canary: Canary, routes: Routes, owner: OwnerReference): Ingress | undefined {
  const names = serviceNames(canary);
  const spec = skipperIngressSpec(user.spec, names.apex, names.primary, names.canary);
  return spec && cloneOf(user, canary, spec, skipperAnnotations(user.metadata.annotations, routes, canary), owner);
}

const weightIn = (weights: Json, name: string): number => {
  const w = weights[name];
  return typeof w === 'number' && Number.isFinite(w) && w > 0 ? w : 0;
};

/**
 * The split the clone carries, read back: 0 when its routes are off (False()), else the canary's share of the
 * backend weights (0 when they are missing or not JSON numbers).
 */
export function routesOfSkipperIngress(canary: Canary, live: Ingress | undefined): Routes | undefined {
  if (!live) return undefined;
  const a = live.metadata.annotations ?? {};
  if ((a[SKIPPER_ANNOTATIONS.predicate] ?? '').split('&&').some((p) => p.trim() === DISABLED)) return routesFor(0);
  let weights: Json = {};
  try {
    const parsed = JSON.parse(a[SKIPPER_ANNOTATIONS.backendWeights] ?? '{}') as unknown;
    if (parsed && typeof parsed === 'object') weights = parsed as Json;
  } catch {
    return routesFor(0);
  }
  const names = serviceNames(canary);
  const [p, c] = [weightIn(weights, names.primary), weightIn(weights, names.canary)];
  return routesOfWeights(p, c);
}

/** The Skipper clone for IngressCloneRouter (A/B match is refused by the capability record: no matchErrors). */
export const SKIPPER_CLONE: CloneProvider = {
  desired: (user, canary, routes, _strategy, owner) => skipperIngress(user, canary, routes, owner),
  routesOf: routesOfSkipperIngress,
};
