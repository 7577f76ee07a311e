import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import type { KubeObject } from '../../src/api/types.js';
import type { KubeClient } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import { resourceKey, Resources, type ResourceType } from '../../src/kube/resources.js';

/**
 * The structural part of the upstream CRD schemas in e2e/upstream-crds, applied as the API server applies it:
 * unknown fields are pruned, absent fields with a default get it, and types, enums, patterns, bounds,
 * required fields and list-map keys are checked. CEL rules (x-kubernetes-validations) are not evaluated.
 */

type Json = Record<string, unknown>;
type Schema = Json;

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../e2e/upstream-crds');

/** Which upstream file serves each generated resource (the first served version found wins). */
const FILES: Record<string, string> = {
  [resourceKey(Resources.trafficSplitsV1alpha1)]: 'smi/trafficsplit-linkerd-smi.yaml',
  [resourceKey(Resources.trafficSplitsV1alpha2)]: 'smi/trafficsplit-linkerd-smi.yaml',
  [resourceKey(Resources.trafficSplitsV1alpha3)]: 'smi/trafficsplit-smi-sdk-go.yaml',
  [resourceKey(Resources.trafficSplitsV1alpha4)]: 'smi/trafficsplit-smi-sdk-go.yaml',
  [resourceKey(Resources.httpRoutesV1)]: 'gateway-api/gateway.networking.k8s.io_httproutes.yaml',
  [resourceKey(Resources.httpRoutesV1beta1)]: 'gateway-api/gateway.networking.k8s.io_httproutes.yaml',
  [resourceKey(Resources.linkerdHttpRoutes)]: 'linkerd/policy.linkerd.io_httproutes.yaml',
  [resourceKey(Resources.appMeshVirtualNodes)]: 'appmesh/crds.yaml',
  [resourceKey(Resources.appMeshVirtualRouters)]: 'appmesh/crds.yaml',
  [resourceKey(Resources.appMeshVirtualServices)]: 'appmesh/crds.yaml',
  [resourceKey(Resources.httpProxies)]: 'contour/01-crds.yaml',
  [resourceKey(Resources.traefikServices)]: 'traefik/traefik.io_traefikservices.yaml',
  [resourceKey(Resources.glooUpstreams)]: 'gloo/gloo.solo.io_v1_Upstream.yaml',
  [resourceKey(Resources.glooRouteTables)]: 'gloo/gateway.solo.io_v1_RouteTable.yaml',
  [resourceKey(Resources.apisixRoutes)]: 'apisix/apisix.apache.org_apisixroutes.yaml',
  [resourceKey(Resources.kumaTrafficRoutes)]: 'kuma/kuma.io_trafficroutes.yaml',
  [resourceKey(Resources.emissaryMappings)]: 'emissary/mappings.yaml',
  [resourceKey(Resources.kumaMeshHttpRoutes)]: 'kuma/kuma.io_meshhttproutes.yaml',
  [resourceKey(Resources.knativeServices)]: 'knative/service.yaml',
  [resourceKey(Resources.scaledObjects)]: 'keda/keda.sh_scaledobjects.yaml',
};

const parsed = new Map<string, Json[]>();
function documents(file: string): Json[] {
  if (!parsed.has(file)) parsed.set(file, loadAll(fs.readFileSync(path.join(dir, file), 'utf8')).filter(Boolean) as Json[]);
  return parsed.get(file)!;
}

/** The openAPIV3Schema of a resource version, from its upstream CRD file. */
function upstreamSchema(r: ResourceType): Schema {
  const file = FILES[resourceKey(r)];
  if (!file) throw new Error(`no upstream CRD for ${resourceKey(r)}`);
  for (const crd of documents(file)) {
    const spec = crd.spec as { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
    if (spec.group !== r.group || spec.names.kind !== r.kind) continue;
    const v = spec.versions.find((x) => x.name === r.version);
    if (v) return v.schema.openAPIV3Schema;
  }
  throw new Error(`${file} has no ${r.kind} ${r.version}`);
}

export interface Admission {
  /** What the API server would refuse (422). */
  errors: string[];
  /** Paths of the fields the API server would drop silently. */
  pruned: string[];
  /** The object as stored: pruned and defaulted. */
  stored: Json;
}

const copy = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

function typeOk(v: unknown, s: Schema): boolean {
  if (s['x-kubernetes-int-or-string']) return Number.isInteger(v) || typeof v === 'string';
  switch (s.type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

/** A Go duration as format: duration accepts it. */
const GO_DURATION = /^-?([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

// eslint-disable-next-line complexity -- over the limit when the lint gate came in; split it when it next changes
function walk(v: unknown, s: Schema, at: string, out: Admission): unknown {
  if (!typeOk(v, s)) {
    out.errors.push(`${at}: ${JSON.stringify(v)} is not of type ${s['x-kubernetes-int-or-string'] ? 'int-or-string' : String(s.type)}`);
    return v;
  }
  if (Array.isArray(s.enum) && !s.enum.includes(v)) out.errors.push(`${at}: ${JSON.stringify(v)} is not one of ${JSON.stringify(s.enum)}`);
  if (typeof v === 'string') {
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v)) out.errors.push(`${at}: "${v}" does not match ${s.pattern}`);
    if (typeof s.minLength === 'number' && [...v].length < s.minLength) out.errors.push(`${at}: "${v}" is shorter than ${s.minLength}`);
    if (typeof s.maxLength === 'number' && [...v].length > s.maxLength) out.errors.push(`${at}: "${v}" is longer than ${s.maxLength}`);
    if (s.format === 'duration' && !GO_DURATION.test(v)) out.errors.push(`${at}: "${v}" is not a duration`);
  }
  if (typeof v === 'number') {
    if (typeof s.minimum === 'number' && v < s.minimum) out.errors.push(`${at}: ${v} is less than ${s.minimum}`);
    if (typeof s.maximum === 'number' && v > s.maximum) out.errors.push(`${at}: ${v} is greater than ${s.maximum}`);
  }
  if (Array.isArray(v)) {
    if (typeof s.minItems === 'number' && v.length < s.minItems) out.errors.push(`${at}: ${v.length} items, fewer than ${s.minItems}`);
    if (typeof s.maxItems === 'number' && v.length > s.maxItems) out.errors.push(`${at}: ${v.length} items, more than ${s.maxItems}`);
    const items = (s.items ?? {}) as Schema;
    const stored = v.map((x, i) => walk(x, items, `${at}[${i}]`, out));
    const keys = s['x-kubernetes-list-map-keys'] as string[] | undefined;
    if (s['x-kubernetes-list-type'] === 'map' && keys) {
      const seen = new Set<string>();
      for (const x of stored) {
        const k = JSON.stringify(keys.map((key) => (x as Json)[key]));
        if (seen.has(k)) out.errors.push(`${at}: duplicate entry for key ${k}`);
        seen.add(k);
      }
    }
    if (s['x-kubernetes-list-type'] === 'set' && new Set(stored.map((x) => JSON.stringify(x))).size !== stored.length)
      out.errors.push(`${at}: duplicate set entries`);
    return stored;
  }
  if (isObject(v)) {
    const props = s.properties as Record<string, Schema> | undefined;
    const additional = s.additionalProperties as Schema | boolean | undefined;
    const keep = s['x-kubernetes-preserve-unknown-fields'] === true;
    const stored: Json = {};
    for (const [k, x] of Object.entries(v)) {
      const p = props?.[k] ?? (isObject(additional) ? additional : undefined);
      if (x === null && !p?.nullable) {
        out.pruned.push(`${at}.${k} (null)`);
        continue;
      }
      if (p) stored[k] = walk(x, p, `${at}.${k}`, out);
      else if (keep || additional === true) stored[k] = copy(x);
      else out.pruned.push(`${at}.${k}`);
    }
    for (const [k, p] of Object.entries(props ?? {}))
      if (!(k in stored) && p.default !== undefined) stored[k] = walk(copy(p.default), p, `${at}.${k}`, out);
    for (const k of (s.required ?? []) as string[]) if (!(k in stored)) out.errors.push(`${at}.${k}: required`);
    return stored;
  }
  return v;
}

/** What the API server makes of a write of obj: metadata is taken as is, everything else goes through the schema. */
function admit(r: ResourceType, obj: KubeObject & Json): Admission {
  const schema = upstreamSchema(r);
  const out: Admission = { errors: [], pruned: [], stored: {} };
  const { metadata, ...rest } = obj;
  const props = { ...(schema.properties as Record<string, Schema>) };
  delete props.metadata;
  props.apiVersion ??= { type: 'string' };
  props.kind ??= { type: 'string' };
  // metadata is not walked, so a top-level `required: [metadata, spec]` (Contour's HTTPProxy) asks for spec alone.
  const required = ((schema.required ?? []) as string[]).filter((k) => k !== 'metadata');
  out.stored = { ...(walk(rest, { ...schema, properties: props, required }, '', out) as Json), metadata: copy(metadata) };
  return out;
}

/** admit() on a spec alone: what the API server would refuse or drop from it. */
export function admitSpec(r: ResourceType, spec: unknown): Omit<Admission, 'stored'> & { stored: unknown } {
  const a = admit(r, { apiVersion: `${r.group}/${r.version}`, kind: r.kind, metadata: { name: 'x', namespace: 'test' }, spec });
  return { errors: a.errors, pruned: a.pruned, stored: a.stored.spec };
}

/**
 * A KubeClient whose creates and replaces of the resources with an upstream CRD go through admit(): refused
 * with 422 on schema errors, stored pruned and defaulted otherwise. Everything else is passed on unchanged.
 */
export function admittingClient(inner: KubeClient): KubeClient {
  const through = (r: ResourceType, obj: KubeObject): KubeObject => {
    if (!FILES[resourceKey(r)]) return obj;
    const a = admit(r, obj as KubeObject & Json);
    if (a.errors.length) throw new KubeApiError(422, 'Invalid', a.errors.join('; '), 'PUT', r.plural);
    return a.stored as unknown as KubeObject;
  };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'create' || prop === 'replace') {
        const fn = value as (r: ResourceType, obj: KubeObject, ...rest: unknown[]) => Promise<unknown>;
        return (r: ResourceType, obj: KubeObject, ...rest: unknown[]) => fn.call(target, r, through(r, obj), ...rest);
      }
      return value;
    },
  });
}
