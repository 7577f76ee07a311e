/**
 * What a credential may do. The bearer token (HOOKS_TOKEN) and insecure mode: everything. A namespace key:
 * tasks and gates of its namespace. A gate key: the gates and rollback switches of its namespace only.
 */
type Role = 'tasks' | 'gates';
export type Scope = { readonly kind: 'all' } | { readonly kind: 'namespace'; readonly namespace: string; readonly role: Role };

/** What an endpoint needs: gates (/gate/*, /rollback/*), tasks (POST /), admin (everything else: /tasks, /metrics). */
export type Capability = 'gates' | 'tasks' | 'admin';

export const ALL: Scope = { kind: 'all' };

/** Whether a scope may call an endpoint that needs the capability (its namespace is checked with the payload). */
export function permits(scope: Scope, needed: Capability): boolean {
  if (scope.kind === 'all') return true;
  if (needed === 'admin') return false;
  return needed === 'gates' || scope.role === 'tasks';
}

/** Whether a scope may act for a canary in the namespace. */
export function coversNamespace(scope: Scope, namespace: string): boolean {
  return scope.kind === 'all' || scope.namespace === namespace;
}

/** For messages: what the credential is. */
export function describeScope(scope: Scope): string {
  if (scope.kind === 'all') return 'this credential';
  return scope.role === 'gates' ? `the gate key of namespace ${scope.namespace}` : `the key of namespace ${scope.namespace}`;
}
