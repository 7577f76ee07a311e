import { FINALIZER } from '@tollgate/contract/metadata';
import type { Canary } from '../api/types.js';
import { Resources } from '../kube/resources.js';
import type { Turn } from './turn.js';

export const hasFinalizer = (c: Canary): boolean => (c.metadata.finalizers ?? []).includes(FINALIZER);

/**
 * Adds or removes the operator's finalizer with a merge patch carrying the resourceVersion read (a 409 when the
 * Canary changed since), so other writers' finalizers are never lost.
 */
export async function setFinalizer(turn: Turn, present: boolean): Promise<void> {
  const list = turn.canary.metadata.finalizers ?? [];
  if (list.includes(FINALIZER) === present) return;
  const next = present ? [...list, FINALIZER] : list.filter((f) => f !== FINALIZER);
  turn.canary = await turn.deps.client.patch<Canary>(
    Resources.canaries,
    turn.ns,
    turn.name,
    {
      metadata: { resourceVersion: turn.canary.metadata.resourceVersion, finalizers: next },
    },
    { type: 'merge', signal: turn.signal, fieldManager: turn.deps.fieldManager },
  );
}
