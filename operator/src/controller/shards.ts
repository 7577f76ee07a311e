import { createHash } from 'node:crypto';

/** The shard a Canary belongs to: a stable hash of namespace/name. */
export function shardOf(key: string, shards: number): number {
  if (shards <= 1) return 0;
  return createHash('sha256').update(key).digest().readUInt32BE(0) % shards;
}

const score = (shard: number, member: string): number => createHash('sha256').update(`${shard}/${member}`).digest().readUInt32BE(0);

/**
 * Rendezvous (highest random weight) hashing: each shard goes to the member with the highest score for it.
 * Every member computes the same answer from the same member list, and when a member leaves only its own
 * shards move.
 */
export function preferredOwner(shard: number, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const m of members) {
    const s = score(shard, m);
    if (s > bestScore || (s === bestScore && best !== undefined && m < best)) {
      best = m;
      bestScore = s;
    }
  }
  return best;
}
