import { ANNOTATIONS } from '@tollgate/contract/metadata';
import type { KubeObject } from '../api/types.js';

/**
 * What the operator allows (--cross-namespace-refs): "opt-in", only references the referenced object allows
 * with the annotation; "allow", every reference, as Flagger does.
 */
export const CROSS_NAMESPACE_POLICIES = ['opt-in', 'allow'] as const;
export type CrossNamespacePolicy = (typeof CROSS_NAMESPACE_POLICIES)[number];

/**
 * Why a Canary of namespace `from` may not use `target` (a MetricTemplate or AlertProvider of another namespace,
 * with its Secret), or undefined when it may.
 */
export function crossNamespaceRefusal(kind: string, target: KubeObject, from: string, policy: CrossNamespacePolicy): string | undefined {
  const home = target.metadata.namespace ?? '';
  if (home === from || policy === 'allow') return undefined;
  const allowed = (target.metadata.annotations?.[ANNOTATIONS.allowCrossNamespace] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (allowed.includes('*') || allowed.includes(from)) return undefined;
  return (
    `${kind} ${home}/${target.metadata.name} may not be used from namespace ${from}: ` +
    `annotate it with ${ANNOTATIONS.allowCrossNamespace}: "${from}" (a comma-separated list, or "*"), ` +
    'or run the operator with --cross-namespace-refs=allow'
  );
}
