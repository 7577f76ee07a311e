import { primaryName } from '@tollgate/contract/metadata';
import type { Canary } from '../api/types.js';
import { serviceNames } from '../meshes/services.js';

/**
 * What a Canary takes for itself in its namespace: its target and the names of the objects it generates
 * (the -primary workload, the apex, -primary and -canary Services and the mesh objects named after the apex).
 * Two Canaries claiming one name would overwrite each other's objects and move each other's traffic.
 */
export function claimsOf(canary: Canary): Map<string, string> {
  const { kind, name } = canary.spec.targetRef;
  const claims = new Map<string, string>([
    [`target:${kind}/${name}`, `target ${kind}/${name}`],
    [`workload:${kind}/${primaryName(name)}`, `primary ${kind} ${primaryName(name)}`],
  ]);
  const services = serviceNames(canary);
  for (const role of ['apex', 'primary', 'canary'] as const) claims.set(`service:${services[role]}`, `Service ${services[role]}`);
  return claims;
}

/** Whether the Canary has acted on its names already (it has a phase and is not held by a conflict). */
function holding(c: Canary): boolean {
  const stalled = c.status?.conditions?.find((x) => x.type === 'Stalled' && x.status === 'True');
  return Boolean(c.status?.phase) && stalled?.reason !== 'Conflict';
}

/**
 * Older Canaries win a claim. Creation times have a resolution of one second: within the same second, the one
 * already acting keeps its names (a later one sorting first by name must not take them over), then the name decides.
 */
function olderThan(a: Canary, b: Canary): boolean {
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta < tb;
  if (holding(a) !== holding(b)) return holding(a);
  return (a.metadata.name ?? '') < (b.metadata.name ?? '');
}

/**
 * Why the Canary cannot act: an older Canary of the same namespace claims one of its names. Undefined when
 * it holds all its claims. Pure: `others` is every Canary the cache holds in the namespace.
 */
export function claimConflict(canary: Canary, others: readonly Canary[]): string | undefined {
  const mine = claimsOf(canary);
  for (const other of others) {
    if (other.metadata.uid === canary.metadata.uid && other.metadata.name === canary.metadata.name) continue;
    if (!olderThan(other, canary)) continue;
    const theirs = claimsOf(other);
    const shared = [...mine.keys()].filter((k) => theirs.has(k)).map((k) => mine.get(k)!);
    if (shared.length)
      return `Canary ${other.metadata.name} already takes ${shared.join(', ')}; give this Canary another spec.service.name or target`;
  }
  return undefined;
}
