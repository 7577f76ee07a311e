import type { Canary } from '../../api/types.js';
import { notAppliedNotice, ROUTING_FIELDS, routesOfWeights, type RouterValidation, type Routes } from '../router.js';
import { serviceNames } from '../services.js';

type Json = Record<string, unknown>;

/*
 * Apache APISIX (ingress controller, apisix.apache.org/v2), as Flagger's apisix router does it: the ApisixRoute
 * spec.routeRef names is only read; a clone `<route>-<apex>-canary` carries its HTTP rules that send to the apex
 * Service alone, at the highest priority, with two weighted backends: `<apex>-primary` and `<apex>-canary`.
 */

/** Flagger's priority of the cloned rules: above the user's, so the same paths take the clone. */
export const CLONE_PRIORITY = 10000;

/** APISIX's weight of a backend that sets none. */
const DEFAULT_WEIGHT = 100;

/** Service fields the clone has no place for: the user's ApisixRoute carries hosts, paths and plugins. */
const NOT_APPLIED = ROUTING_FIELDS;

/** The name of the ApisixRoute spec.routeRef names; undefined when it names none. */
export function routeRefName(canary: Canary): string | undefined {
  const name = canary.spec.routeRef?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** The clone's name, as Flagger's apisix metrics query expects it: `<route>-<apex>-canary`. */
export const cloneName = (route: string, canary: Canary): string => `${route}-${serviceNames(canary).apex}-canary`;

const backendsOf = (rule: Json): Json[] => (Array.isArray(rule.backends) ? (rule.backends as Json[]) : []);

/** A rule the clone takes over: its only backend is the apex Service. */
const routesApex = (rule: Json, apex: string): boolean => {
  const b = backendsOf(rule);
  return b.length === 1 && b[0]!.serviceName === apex;
};

/**
 * The clone's spec for a split: the user's rules that send to the apex Service alone, each at CLONE_PRIORITY with
 * the primary and the canary (same port, resolveGranularity and subset) as weighted backends. Undefined when no
 * rule sends to the apex Service alone.
 */
export function cloneSpec(user: Json | undefined, canary: Canary, routes: Routes): Json | undefined {
  const names = serviceNames(canary);
  const rules = ((user?.http ?? []) as Json[]).filter((r) => routesApex(r, names.apex));
  if (!rules.length) return undefined;
  const http = rules.map((r) => {
    const apex = backendsOf(r)[0]!;
    return {
      ...r,
      priority: CLONE_PRIORITY,
      backends: [
        { ...apex, serviceName: names.primary, weight: routes.primaryWeight },
        { ...apex, serviceName: names.canary, weight: routes.canaryWeight },
      ],
    };
  });
  return { ...(user?.ingressClassName ? { ingressClassName: user.ingressClassName } : {}), http };
}

/** Reads the split back from the first rule with both backends (APISIX's default weight where none is set). */
export function routesOfApisixRoute(canary: Canary, spec: Json | undefined): Routes | undefined {
  const names = serviceNames(canary);
  for (const rule of (spec?.http ?? []) as Json[]) {
    const p = backendsOf(rule).find((b) => b.serviceName === names.primary);
    const c = backendsOf(rule).find((b) => b.serviceName === names.canary);
    if (p && c) return routesOfWeights(Number(p.weight ?? DEFAULT_WEIGHT), Number(c.weight ?? DEFAULT_WEIGHT));
  }
  return undefined;
}

/** A Canary without spec.routeRef is refused; service fields the clone does not carry are a notice. */
export function validateForApisix(canary: Canary): RouterValidation {
  const errors = routeRefName(canary) ? [] : ['provider apisix needs spec.routeRef: the ApisixRoute to clone as <route>-<apex>-canary'];
  const notices = notAppliedNotice(canary, 'apisix', NOT_APPLIED, 'the ApisixRoute named in spec.routeRef carries the routing');
  return { errors, notices };
}
