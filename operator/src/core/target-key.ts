/**
 * The key of a targetRef in the targets' table (createTargets, TARGET_KINDS): its kind, qualified by its API group
 * when that is a custom resource's group (a DNS name, with a dot: a Knative Service is `Service.serving.knative.dev`,
 * never a core Service). Kubernetes' own groups (apps, extensions) have no dot: their kinds are unqualified.
 */
export function targetKeyOf(ref: { kind: string; apiVersion?: string }): string {
  const slash = ref.apiVersion?.indexOf('/') ?? -1;
  const group = slash > 0 ? ref.apiVersion!.slice(0, slash) : '';
  return group.includes('.') ? `${ref.kind}.${group}` : ref.kind;
}
