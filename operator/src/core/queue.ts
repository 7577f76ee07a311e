/*
 * The release queue (--max-concurrent-releases, --max-concurrent-releases-per-namespace): which waiting releases may
 * start, given those in analysis. Pure: the controller (controller/release-queue.ts) feeds it from the Canaries'
 * status, so the order survives a restart.
 */

/** The caps; 0 means no cap. */
export interface QueueCaps {
  readonly global: number;
  readonly perNamespace: number;
}

/** A release past its start (Progressing, WaitingPromotion, Promoting, Finalising): it holds a slot. */
export interface Running {
  readonly key: string;
  readonly namespace: string;
}

/** A release waiting for a slot. */
export interface Waiter {
  readonly key: string;
  readonly namespace: string;
  /** When its revision was first seen (status.queuedSince), in ms. */
  readonly since: number;
  readonly urgent: boolean;
}

/** Where a waiting release stands: its place (1-based) among all the waiting ones. */
export interface Place {
  readonly place: number;
  readonly of: number;
  /** Its namespace is at its cap (others may start before it). */
  readonly namespaceFull: boolean;
}

export interface QueueDecision {
  /** The waiting releases that may start now, in queue order. */
  readonly admitted: readonly string[];
  /** Every other waiting release, by key. */
  readonly places: ReadonlyMap<string, Place>;
}

export const queueEnabled = (caps: QueueCaps): boolean => caps.global > 0 || caps.perNamespace > 0;

/** Queue order: urgent first, then the earliest revision, then the key (a stable tie-break). */
function queueOrder(a: Waiter, b: Waiter): number {
  if (a.urgent !== b.urgent) return a.urgent ? -1 : 1;
  if (a.since !== b.since) return a.since - b.since;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * Walks the waiting releases in queue order and admits each one while both its caps have room. A namespace at
 * its cap does not hold up the releases of other namespaces behind it; the global cap holds up everyone.
 */
export function decideQueue(caps: QueueCaps, running: readonly Running[], waiting: readonly Waiter[]): QueueDecision {
  const perNs = new Map<string, number>();
  for (const r of running) perNs.set(r.namespace, (perNs.get(r.namespace) ?? 0) + 1);
  let total = running.length;
  const admitted: string[] = [];
  const places = new Map<string, Place>();
  const ordered = [...waiting].sort(queueOrder);
  ordered.forEach((w, i) => {
    const inNs = perNs.get(w.namespace) ?? 0;
    const globalRoom = caps.global <= 0 || total < caps.global;
    const nsRoom = caps.perNamespace <= 0 || inNs < caps.perNamespace;
    if (globalRoom && nsRoom) {
      admitted.push(w.key);
      total++;
      perNs.set(w.namespace, inNs + 1);
    } else places.set(w.key, { place: i + 1, of: ordered.length, namespaceFull: !nsRoom });
  });
  return { admitted, places };
}

/** 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st... */
export function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

/** The Ready condition's message of a queued release: "3rd of 12 waiting; cap 10 (namespace cap 5)". */
export function placeMessage(p: Place, caps: QueueCaps): string {
  const limits = [
    caps.global > 0 ? `cap ${caps.global}` : undefined,
    caps.perNamespace > 0 ? `${caps.global > 0 ? '(' : ''}namespace cap ${caps.perNamespace}${caps.global > 0 ? ')' : ''}` : undefined,
  ].filter(Boolean);
  const full = p.namespaceFull ? '; its namespace is at its cap' : '';
  return `${ordinal(p.place)} of ${p.of} waiting; ${limits.join(' ')}${full}`;
}

/** The priority annotation's values: "urgent" jumps the queue, "normal" (or no annotation) waits its turn. */
const PRIORITIES = ['normal', 'urgent'] as const;

export type PriorityParse = { readonly urgent: boolean; readonly error?: string };

/** Reads the priority annotation; a bad value queues as normal and says why. */
export function parsePriority(value: string | undefined, annotation: string): PriorityParse {
  if (value === undefined || value.trim() === '' || value.trim() === 'normal') return { urgent: false };
  if (value.trim() === 'urgent') return { urgent: true };
  const shown = JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  return {
    urgent: false,
    error: `annotation ${annotation}: ${shown} is not a priority (${PRIORITIES.join(' or ')}); the release queues as normal`,
  };
}
