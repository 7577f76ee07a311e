import fs from 'node:fs';
import { loadAll } from 'js-yaml';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { isAlreadyExists, isNotFound } from '@tollgate/operator/kube/errors';
import { Resources } from '@tollgate/operator/kube/resources';
import type { KubeObject } from '@tollgate/operator/api/types';
import { waitFor } from './processes.js';

type Json = Record<string, unknown>;

/**
 * Adapts an upstream CRD schema to an API server older than 1.25 (no CEL): drops
 * x-kubernetes-validations and `default: ""` on strings, and makes strings whose pattern admits the
 * empty string nullable (1.20 turns an explicit "" into null, then rejects it). Types, enums, required
 * fields and patterns stay, so objects are still validated by the rest of the schema.
 */
export function adaptSchemaForOldServer(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(adaptSchemaForOldServer);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (k === 'x-kubernetes-validations') continue;
    if (k === 'default' && v === '') continue;
    out[k] = adaptSchemaForOldServer(v);
  }
  if (out.type === 'string' && typeof out.pattern === 'string' && out.pattern.startsWith('^$|')) out.nullable = true;
  return out;
}

async function putCrd(client: KubeClient, crd: Crd): Promise<void> {
  const name = crd.metadata.name!;
  const live = await client.get<Crd>(Resources.crds, undefined, name).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
  if (live && versionsOf(live) !== versionsOf(crd)) {
    await client.delete(Resources.crds, undefined, name);
    await waitFor(`CRD ${name} deleted`, async () => !(await client.get(Resources.crds, undefined, name).catch(() => undefined)), 60_000);
  } else if (live) {
    await client.replace(Resources.crds, { ...crd, metadata: { ...crd.metadata, resourceVersion: live.metadata.resourceVersion } });
    return;
  }
  await client.create(Resources.crds, crd).catch((err) => (isAlreadyExists(err) ? undefined : Promise.reject(err)));
}

export function readCrds(file: string): Json[] {
  return (loadAll(fs.readFileSync(file, 'utf8')) as Json[]).filter((d) => d && d.kind === 'CustomResourceDefinition');
}

export async function serverMinorVersion(client: KubeClient): Promise<number> {
  const v = await client.request<{ minor: string }>('GET', '/version');
  return Number.parseInt(v.minor, 10);
}

type Crd = KubeObject & { spec: { versions: { name: string }[] } };

const versionsOf = (c: Crd): string =>
  c.spec.versions
    .map((v) => v.name)
    .sort()
    .join(',');

/**
 * Creates (or replaces) CRDs and waits until each is Established. A CRD of the same name with other
 * versions (the three TrafficSplit CRDs) is deleted first, with its objects: the API server refuses to
 * drop a stored version in place.
 */
export async function installCrds(client: KubeClient, files: string[]): Promise<void> {
  const legacy = (await serverMinorVersion(client)) < 25;
  const names: string[] = [];
  for (const file of files) {
    for (const doc of readCrds(file)) {
      const crd = (legacy ? adaptSchemaForOldServer(doc) : doc) as Crd;
      names.push(crd.metadata.name!);
      await putCrd(client, crd).catch((err: Error) => {
        throw new Error(`CRD ${crd.metadata.name} from ${file}: ${err.message}`, { cause: err });
      });
    }
  }
  await waitFor(
    `CRDs established: ${names.join(', ')}`,
    async () => {
      for (const n of names) {
        const crd = await client.get<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(
          Resources.crds,
          undefined,
          n,
        );
        if (!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return false;
      }
      return true;
    },
    30_000,
  );
}

/**
 * Deletes the CRDs of the files (with their objects) and waits until the API server no longer serves them: the
 * cluster of a provider case that must run without them (Kuma's TrafficRoute path, where MeshHTTPRoute is not served).
 */
export async function uninstallCrds(client: KubeClient, files: string[]): Promise<void> {
  for (const file of files) {
    for (const doc of readCrds(file)) {
      const crd = doc as unknown as Crd & { spec: { group: string; names: { plural: string } } };
      const name = crd.metadata.name!;
      await client.delete(Resources.crds, undefined, name).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
      const collection = `/apis/${crd.spec.group}/${crd.spec.versions[0]!.name}/${crd.spec.names.plural}`;
      await waitFor(
        `CRD ${name} no longer served`,
        async () =>
          !(await client.get(Resources.crds, undefined, name).catch(() => undefined)) &&
          (await client.request('GET', collection).then(
            () => false,
            (err: unknown) => isNotFound(err),
          )),
        60_000,
      );
    }
  }
}
