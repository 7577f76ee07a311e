import { canaryRefSchema, webhookPayloadSchema, type CanaryRef, type WebhookPayload } from '@tollgate/contract/payload';
import { coversNamespace, describeScope, permits, type Scope } from '../auth/scope.js';
import { problemsOf, runIdOf } from '../payload.js';
import { BadRequestError, ForbiddenError } from './errors.js';

/** Which canary namespaces may be acted for (NAMESPACE_REGEXP). */
export interface NamespacePolicy {
  allows(namespace: string): boolean;
}

const allowAllNamespaces: NamespacePolicy = { allows: () => true };

/** NAMESPACE_REGEXP must match the whole namespace name. */
export function namespacePolicy(pattern: RegExp | undefined): NamespacePolicy {
  return pattern ? { allows: (ns) => pattern.test(ns) } : allowAllNamespaces;
}

/** Background tasks listen to every payload: a new checksum or a final phase ends their run. */
interface RunObserver {
  observe(canary: CanaryRef, event: { runId: string; phase?: string }): number;
}

export interface CanaryRequestDeps {
  readonly policy: NamespacePolicy;
  readonly runs: RunObserver;
}

/**
 * Validates a webhook payload (400), checks its namespace against NAMESPACE_REGEXP and the credential's scope
 * (403), and tells the runner about its run when the credential may run tasks: a gate key, which runs no
 * task, cannot end a namespace's background tasks either (with phase Failed or another checksum).
 */
export function acceptPayload(body: unknown, deps: CanaryRequestDeps, scope: Scope): WebhookPayload {
  if (body === undefined) throw new BadRequestError('missing_body', 'the body must be a JSON object with name and namespace');
  const parsed = webhookPayloadSchema.safeParse(body);
  if (!parsed.success) {
    const problems = problemsOf(parsed.error);
    throw new BadRequestError('invalid_payload', `invalid payload: ${problems.join('; ')}`, { problems });
  }
  const payload = parsed.data;
  checkNamespace(payload.namespace, deps.policy, scope);
  if (permits(scope, 'tasks'))
    deps.runs.observe({ name: payload.name, namespace: payload.namespace }, { runId: runIdOf(payload), phase: payload.phase });
  return payload;
}

/** A canary named in a query string (GET /gate/status?namespace=&name=). */
export function acceptQuery(query: unknown, policy: NamespacePolicy, scope: Scope): CanaryRef {
  const parsed = canaryRefSchema.safeParse(query);
  if (!parsed.success) {
    const problems = problemsOf(parsed.error);
    throw new BadRequestError('invalid_query', `invalid query: ${problems.join('; ')}`, { problems });
  }
  checkNamespace(parsed.data.namespace, policy, scope);
  return { name: parsed.data.name, namespace: parsed.data.namespace };
}

function checkNamespace(namespace: string, policy: NamespacePolicy, scope: Scope): void {
  if (!policy.allows(namespace))
    throw new ForbiddenError('namespace_not_allowed', `namespace ${namespace} is not allowed here (NAMESPACE_REGEXP)`);
  if (!coversNamespace(scope, namespace)) {
    throw new ForbiddenError('namespace_not_covered', `${describeScope(scope)} does not act for namespace ${namespace}`);
  }
}
