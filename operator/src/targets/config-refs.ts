import { primaryName } from '@tollgate/contract/metadata';
import { createHash } from 'node:crypto';
import type { PodSpec } from '../api/k8s.js';
import { canonicalJson } from '../core/revision.js';

type Json = Record<string, unknown>;

export type ConfigKind = 'configmap' | 'secret';

/** A ConfigMap or Secret the pod template uses; optional references may be absent. */
export interface ConfigRef {
  kind: ConfigKind;
  name: string;
  optional: boolean;
}

export const refKey = (r: { kind: ConfigKind; name: string }): string => `${r.kind}/${r.name}`;

/** Every ConfigMap and Secret a pod spec mounts or reads env from (volumes, projected volumes, env, envFrom). */
// eslint-disable-next-line complexity -- over the limit when the lint gate came in; split it when it next changes
export function configRefs(spec: PodSpec): ConfigRef[] {
  const found = new Map<string, ConfigRef>();
  const add = (kind: ConfigKind, name: unknown, optional: unknown): void => {
    if (typeof name !== 'string' || !name) return;
    const prior = found.get(`${kind}/${name}`);
    // A reference that is required anywhere is required.
    found.set(`${kind}/${name}`, { kind, name, optional: Boolean(optional) && (prior?.optional ?? true) });
  };
  for (const v of (spec.volumes ?? []) as Json[]) {
    const cm = v.configMap as Json | undefined;
    const sec = v.secret as Json | undefined;
    if (cm) add('configmap', cm.name, cm.optional);
    if (sec) add('secret', sec.secretName, sec.optional);
    for (const src of ((v.projected as Json | undefined)?.sources ?? []) as Json[]) {
      const pcm = src.configMap as Json | undefined;
      const psec = src.secret as Json | undefined;
      if (pcm) add('configmap', pcm.name, pcm.optional);
      if (psec) add('secret', psec.name, psec.optional);
    }
  }
  for (const c of [...spec.containers, ...(spec.initContainers ?? [])] as Json[]) {
    for (const e of (c.env ?? []) as Json[]) {
      const from = e.valueFrom as Json | undefined;
      const cm = from?.configMapKeyRef as Json | undefined;
      const sec = from?.secretKeyRef as Json | undefined;
      if (cm) add('configmap', cm.name, cm.optional);
      if (sec) add('secret', sec.name, sec.optional);
    }
    for (const e of (c.envFrom ?? []) as Json[]) {
      const cm = e.configMapRef as Json | undefined;
      const sec = e.secretRef as Json | undefined;
      if (cm) add('configmap', cm.name, cm.optional);
      if (sec) add('secret', sec.name, sec.optional);
    }
  }
  return [...found.values()];
}

/** The pod spec with tracked references renamed to their -primary copies. */
// eslint-disable-next-line complexity -- over the limit when the lint gate came in; split it when it next changes
export function renameConfigRefs(spec: PodSpec, tracked: ReadonlySet<string>): PodSpec {
  const rename = (kind: ConfigKind, name: unknown): unknown =>
    typeof name === 'string' && tracked.has(`${kind}/${name}`) ? primaryName(name) : name;
  const copy = JSON.parse(JSON.stringify(spec)) as PodSpec;
  for (const v of (copy.volumes ?? []) as Json[]) {
    if (v.configMap) (v.configMap as Json).name = rename('configmap', (v.configMap as Json).name);
    if (v.secret) (v.secret as Json).secretName = rename('secret', (v.secret as Json).secretName);
    for (const src of ((v.projected as Json | undefined)?.sources ?? []) as Json[]) {
      if (src.configMap) (src.configMap as Json).name = rename('configmap', (src.configMap as Json).name);
      if (src.secret) (src.secret as Json).name = rename('secret', (src.secret as Json).name);
    }
  }
  for (const c of [...copy.containers, ...(copy.initContainers ?? [])] as Json[]) {
    for (const e of (c.env ?? []) as Json[]) {
      const from = e.valueFrom as Json | undefined;
      if (from?.configMapKeyRef) (from.configMapKeyRef as Json).name = rename('configmap', (from.configMapKeyRef as Json).name);
      if (from?.secretKeyRef) (from.secretKeyRef as Json).name = rename('secret', (from.secretKeyRef as Json).name);
    }
    for (const e of (c.envFrom ?? []) as Json[]) {
      if (e.configMapRef) (e.configMapRef as Json).name = rename('configmap', (e.configMapRef as Json).name);
      if (e.secretRef) (e.secretRef as Json).name = rename('secret', (e.secretRef as Json).name);
    }
  }
  return copy;
}

/** Checksum of a config's content (data and binaryData), as status.trackedConfigs shows it. */
export function configChecksum(obj: { data?: unknown; binaryData?: unknown; stringData?: unknown }): string {
  return createHash('sha256')
    .update(canonicalJson({ data: obj.data ?? {}, binaryData: obj.binaryData ?? {} }))
    .digest('hex')
    .slice(0, 16);
}
