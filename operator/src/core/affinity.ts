import { randomBytes } from 'node:crypto';
import type { CanarySpec, CanaryStatus, SessionAffinity } from '../api/types.js';
import { analysisOf, strategyOf } from './analysis.js';
import { escapeRegex } from '../util/regex.js';

/** The cookies a router sets and matches while session affinity is on (each "name=value"). */
export interface AffinityRoutes {
  /** Requests carrying it stay on the canary; canary responses set it. */
  canaryCookie?: string;
  /** Requests carrying it stay on the primary; primary responses set it (primaryCookieName). */
  primaryCookie?: string;
  /** A cookie of a run that is over: primary responses expire it. */
  expiredCookie?: string;
  /** Set-Cookie attributes after name=value, without Max-Age. */
  attributes: string;
  canaryMaxAge: number;
  primaryMaxAge: number;
}

const DEFAULT_MAX_AGE = 86_400;

/** A random cookie value: letters only, so it needs no escaping in a header regex. */
export function cookieValue(random: (n: number) => Buffer = randomBytes): string {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return [...random(16)].map((b) => letters[b % letters.length]).join('');
}

/** Status of a new run: fresh cookies, the previous run's canary cookie kept so it can be expired. */
export function affinityStatus(spec: CanarySpec, prior: CanaryStatus, value: () => string = cookieValue): Partial<CanaryStatus> {
  const sa = analysisOf(spec).sessionAffinity;
  if (!sa) return {};
  return {
    sessionAffinityCookie: `${sa.cookieName}=${value()}`,
    ...(prior.sessionAffinityCookie ? { previousSessionAffinityCookie: prior.sessionAffinityCookie } : {}),
    ...(sa.primaryCookieName ? { primarySessionAffinityCookie: `${sa.primaryCookieName}=${value()}` } : {}),
  };
}

function attributes(sa: SessionAffinity): string {
  return [
    `Path=${sa.path ?? '/'}`,
    ...(sa.domain ? [`Domain=${sa.domain}`] : []),
    ...(sa.httpOnly ? ['HttpOnly'] : []),
    ...(sa.secure ? ['Secure'] : []),
    ...(sa.sameSite ? [`SameSite=${sa.sameSite}`] : []),
    ...(sa.partitioned ? ['Partitioned'] : []),
  ].join('; ');
}

/**
 * What the router must do for session affinity at a canary weight. While the canary takes traffic, its
 * users keep a cookie that pins them to it (and, with primaryCookieName, primary users one that pins them to
 * the primary for an interval); once the run is over, primary responses expire the run's canary cookie.
 */
export function affinityRoutes(spec: CanarySpec, status: CanaryStatus, intervalMs: number): AffinityRoutes | undefined {
  const a = analysisOf(spec);
  const sa = a.sessionAffinity;
  if (!sa || strategyOf(a) !== 'canary') return undefined;
  const base = {
    attributes: attributes(sa),
    canaryMaxAge: sa.maxAge ?? DEFAULT_MAX_AGE,
    primaryMaxAge: Math.max(1, Math.round(intervalMs / 1000)),
  };
  if ((status.canaryWeight ?? 0) > 0) {
    return {
      ...base,
      ...(status.sessionAffinityCookie ? { canaryCookie: status.sessionAffinityCookie } : {}),
      ...(status.primarySessionAffinityCookie ? { primaryCookie: status.primarySessionAffinityCookie } : {}),
      ...(status.previousSessionAffinityCookie ? { expiredCookie: status.previousSessionAffinityCookie } : {}),
    };
  }
  return status.sessionAffinityCookie ? { ...base, expiredCookie: status.sessionAffinityCookie } : undefined;
}

const setCookie = (cookie: string, maxAge: number, attrs: string): string => `${cookie}; Max-Age=${maxAge}; ${attrs}`;

/**
 * The Set-Cookie values the two sides' responses carry: the canary's pins its users; the primary's pins its users
 * (primaryCookieName) or else expires the cookie of a run that is over.
 */
export function affinitySetCookies(aff: AffinityRoutes): { canary?: string; primary?: string } {
  const canary = aff.canaryCookie && setCookie(aff.canaryCookie, aff.canaryMaxAge, aff.attributes);
  const primary = aff.primaryCookie
    ? setCookie(aff.primaryCookie, aff.primaryMaxAge, aff.attributes)
    : aff.expiredCookie && setCookie(aff.expiredCookie, -1, aff.attributes);
  return { ...(canary ? { canary } : {}), ...(primary ? { primary } : {}) };
}

/** A regular expression matching a Cookie header that carries the cookie. */
export const cookieRegex = (cookie: string): string => `.*${escapeRegex(cookie)}.*`;
