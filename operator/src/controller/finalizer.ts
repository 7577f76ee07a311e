import { FINALIZER } from '@tollgate/contract/metadata';
import type { Canary } from '../api/types.js';
import { Resources } from '../kube/resources.js';
import type { Run } from './run.js';

export const hasFinalizer = (c: Canary): boolean => (c.metadata.finalizers ?? []).includes(FINALIZER);

/**
 * Adds or removes the operator's finalizer with a merge patch carrying the resourceVersion read (a 409 when the
 * Canary changed since), so other writers' finalizers are never lost.
 */
export async function setFinalizer(run: Run, present: boolean): Promise<void> {
  const list = run.canary.metadata.finalizers ?? [];
  if (list.includes(FINALIZER) === present) return;
  const next = present ? [...list, FINALIZER] : list.filter((f) => f !== FINALIZER);
  run.canary = await run.deps.client.patch<Canary>(
    Resources.canaries,
    run.ns,
    run.name,
    {
      metadata: { resourceVersion: run.canary.metadata.resourceVersion, finalizers: next },
    },
    { type: 'merge', signal: run.signal, fieldManager: run.deps.fieldManager },
  );
}
