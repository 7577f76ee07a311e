import { createHash } from 'node:crypto';
import type { CanaryRef } from '../payload.js';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'tollgate-hooks';
export const GATE_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;

const MAX_NAME = 63;
const HASH_LENGTH = 10;

/**
 * The ConfigMap of a canary's gates: tollgate-gate-<namespace>-<name>, cut to leave room for a hash of
 * namespace/name. The hash keeps the name unique (a-b/c and a/b-c differ) and at most 63 characters.
 */
export function gateConfigMapName(ref: CanaryRef): string {
  const hash = createHash('sha256').update(`${ref.namespace}/${ref.name}`).digest('hex').slice(0, HASH_LENGTH);
  const base = `tollgate-gate-${ref.namespace}-${ref.name}`.slice(0, MAX_NAME - HASH_LENGTH - 1).replace(/[-.]+$/, '');
  return `${base}-${hash}`;
}
