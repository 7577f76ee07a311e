import { ANNOTATIONS, LABELS, primaryName } from '@tollgate/contract/metadata';
import type { Deployment, PodTemplate, Workload } from '../api/k8s.js';
import type { Canary, CanaryService, OwnerReference } from '../api/types.js';
import { revisionOf } from '../core/revision.js';
import { renameConfigRefs } from './config-refs.js';
import { isForeignKey } from './foreign-keys.js';
import { TargetError, type Readiness, type ServicePort } from './target.js';

/** The first of the configured selector labels found in the target's matchLabels. */
export function selectorLabelOf(d: Workload, candidates: readonly string[]): { key: string; value: string } {
  const matchLabels = d.spec.selector.matchLabels ?? {};
  for (const key of candidates) {
    const value = matchLabels[key];
    if (value) return { key, value };
  }
  throw new TargetError('TargetInvalid', `${d.metadata.name}'s spec.selector.matchLabels has none of the labels ${candidates.join(', ')}`);
}

/**
 * Revision of the workload: a hash of its pod template, and of the content of the ConfigMaps and Secrets it
 * uses when they are tracked (a config change is a new revision).
 */
export const templateRevision = (template: PodTemplate, configs: Record<string, string> = {}): string =>
  revisionOf(Object.keys(configs).length ? { template, configs } : template);

const rename = (labels: Record<string, string> | undefined, key: string, value: string): Record<string, string> =>
  Object.fromEntries(
    Object.entries(labels ?? {})
      .filter(([k]) => !isForeignKey(k))
      .map(([k, v]) => [k, k === key ? value : v]),
  );

const withoutForeign = (m: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(m ?? {}).filter(([k]) => !isForeignKey(k)));

/**
 * The primary copy of a pod template: the selector label's value suffixed -primary, every other label kept
 * (Flagger keeps only one, issue #1312), the ratio pool label (LABELS.pool: the selector's value) added, tools' labels and annotations dropped, the revision stamped, and
 * tracked ConfigMaps and Secrets replaced by their -primary copies.
 */
export function primaryTemplateOf(
  template: PodTemplate,
  sel: { key: string; value: string },
  revision: string,
  tracked: ReadonlySet<string> = new Set(),
): PodTemplate {
  const primaryValue = primaryName(sel.value);
  return {
    ...template,
    metadata: {
      ...template.metadata,
      labels: { ...rename(template.metadata?.labels, sel.key, primaryValue), [sel.key]: primaryValue, [LABELS.pool]: sel.value },
      annotations: { ...withoutForeign(template.metadata?.annotations), [ANNOTATIONS.revision]: revision },
    },
    spec: tracked.size ? renameConfigRefs(template.spec, tracked) : template.spec,
  };
}

/** The primary copy of a workload: its own spec fields (specFields), the primary template and selector. */
// eslint-disable-next-line max-params -- over the limit when the lint gate came in; split it when it next changes
export function primaryWorkloadOf<W extends Workload>(
  kind: string,
  target: W,
  canary: Canary,
  sel: { key: string; value: string },
  owner: OwnerReference,
  template: PodTemplate,
  specFields: Record<string, unknown>,
): W {
  const primaryValue = primaryName(sel.value);
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: {
      name: primaryName(target.metadata.name!),
      namespace: target.metadata.namespace,
      labels: { ...rename(target.metadata.labels, sel.key, primaryValue), [LABELS.canary]: canary.metadata.name! },
      annotations: withoutForeign(target.metadata.annotations),
      ownerReferences: [owner],
    },
    spec: {
      ...specFields,
      selector: { ...target.spec.selector, matchLabels: { ...target.spec.selector.matchLabels, [sel.key]: primaryValue } },
      template,
    },
  } as unknown as W;
}

/** The rollout settings a primary Deployment copies from its target. */
export function deploymentSpecFields(d: Deployment): Record<string, unknown> {
  const s = d.spec;
  return {
    replicas: s.replicas && s.replicas > 0 ? s.replicas : 1,
    ...(s.strategy !== undefined ? { strategy: s.strategy } : {}),
    ...(s.minReadySeconds !== undefined ? { minReadySeconds: s.minReadySeconds } : {}),
    ...(s.revisionHistoryLimit !== undefined ? { revisionHistoryLimit: s.revisionHistoryLimit } : {}),
    ...(s.progressDeadlineSeconds !== undefined ? { progressDeadlineSeconds: s.progressDeadlineSeconds } : {}),
  };
}

/**
 * Rollout readiness of a Deployment, as `kubectl rollout status` judges it, with a share of available
 * replicas (thresholdPct) instead of all of them. A rollout past its own progress deadline is fatal.
 */
export function deploymentReadiness(d: Deployment | undefined, thresholdPct: number): Readiness {
  if (!d) return { ready: false, reason: 'deployment not found', fatal: false };
  const st = d.status ?? {};
  if ((st.observedGeneration ?? 0) < (d.metadata.generation ?? 0))
    return { ready: false, reason: 'rollout not yet observed', fatal: false };
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { ready: false, reason: `${d.metadata.name} exceeded its progress deadline: ${progressing.message ?? ''}`.trim(), fatal: true };
  }
  const want = d.spec.replicas ?? 1;
  const updated = st.updatedReplicas ?? 0;
  if (want === 0) return { ready: false, reason: `${d.metadata.name} is scaled to zero`, fatal: false };
  if (updated < want) return { ready: false, reason: `${updated} of ${want} replicas updated`, fatal: false };
  if ((st.replicas ?? 0) > updated)
    return { ready: false, reason: `${(st.replicas ?? 0) - updated} old replicas pending termination`, fatal: false };
  const needed = Math.ceil((updated * thresholdPct) / 100);
  if ((st.availableReplicas ?? 0) < needed)
    return { ready: false, reason: `${st.availableReplicas ?? 0} of ${needed} replicas available`, fatal: false };
  return { ready: true };
}

/**
 * Container ports other than the main one, for service.portDiscovery (sidecar proxies excluded). A port
 * whose number or name would clash with the main Service port, or with an earlier one, is renamed or skipped
 * so the generated Services are always valid.
 */
export function discoveredPorts(d: Workload, svc: CanaryService): ServicePort[] {
  const mainTarget = typeof svc.targetPort === 'number' ? svc.targetPort : svc.port;
  const usedNames = new Set([svc.portName || 'http']);
  const usedPorts = new Set([svc.port]);
  const out: ServicePort[] = [];
  for (const c of d.spec.template.spec.containers) {
    if (c.name === 'istio-proxy' || c.name === 'envoy' || c.name === 'linkerd-proxy') continue;
    (c.ports ?? []).forEach((p, i) => {
      if (p.containerPort === mainTarget || (p.name !== undefined && p.name === svc.targetPort)) return;
      if (usedPorts.has(p.containerPort)) return;
      const protocol = p.protocol ?? 'TCP';
      const name = p.name && !usedNames.has(p.name) ? p.name : `tcp-${c.name}-${i}`;
      usedNames.add(name);
      usedPorts.add(p.containerPort);
      out.push({ name, port: p.containerPort, targetPort: p.containerPort, protocol });
    });
  }
  return out;
}
