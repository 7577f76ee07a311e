import { GROUP } from '@tollgate/contract/metadata';
/** Small builders for structural OpenAPI v3 schemas, as apiextensions.k8s.io/v1 expects them. */
export type Schema = Record<string, unknown>;

export const str = (description?: string, extra: Schema = {}): Schema => ({
  type: 'string',
  ...(description ? { description } : {}),
  ...extra,
});
export const bool = (description?: string): Schema => ({ type: 'boolean', ...(description ? { description } : {}) });
export const int = (description?: string, extra: Schema = {}): Schema => ({
  type: 'integer',
  ...(description ? { description } : {}),
  ...extra,
});
export const num = (description?: string, extra: Schema = {}): Schema => ({
  type: 'number',
  ...(description ? { description } : {}),
  ...extra,
});
export const arrayOf = (items: Schema, description?: string, extra: Schema = {}): Schema => ({
  type: 'array',
  ...(description ? { description } : {}),
  items,
  ...extra,
});
export const mapOf = (values: Schema, description?: string): Schema => ({
  type: 'object',
  ...(description ? { description } : {}),
  additionalProperties: values,
});
export const stringMap = (description?: string): Schema => mapOf({ type: 'string' }, description);

/** An object schema; empty properties are left out, as the API server drops them (server-side apply would conflict). */
export function obj(properties: Record<string, Schema>, opts: { description?: string; required?: string[]; open?: boolean } = {}): Schema {
  return {
    type: 'object',
    ...(opts.description ? { description: opts.description } : {}),
    ...(opts.required?.length ? { required: opts.required } : {}),
    ...(Object.keys(properties).length ? { properties } : {}),
    ...(opts.open ? { 'x-kubernetes-preserve-unknown-fields': true } : {}),
  };
}

/** Go duration such as 30s, 1m30s, 2h or 500ms. */
const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+$';
/**
 * A Go duration of at least one second: at least one non-zero h, m or s component.
 * RE2 has no look-around, so the non-zero component is spelled out between two runs of any components.
 */
const DURATION_AT_LEAST_1S_PATTERN =
  '^([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))*[0-9]*[1-9][0-9]*(\\.[0-9]+)?(h|m|s)([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))*$';

export const duration = (description: string, atLeastOneSecond = false): Schema =>
  str(description, { pattern: atLeastOneSecond ? DURATION_AT_LEAST_1S_PATTERN : DURATION_PATTERN });

export const weight = (description: string): Schema => int(description, { minimum: 0, maximum: 100 });

/** Istio-style string match: one of exact, prefix, suffix or regex. */
/** A string match: one of exact, prefix, suffix or regex, as Istio's schema demands (oneOf). */
export const stringMatch = (description?: string): Schema => ({
  ...obj(
    { exact: str(), prefix: str(), suffix: str(), regex: str('RE2 regular expression') },
    { description: description ?? 'One of exact, prefix, suffix or regex' },
  ),
  maxProperties: 1,
});

export const metadataOverlay = (description: string): Schema => obj({ labels: stringMap(), annotations: stringMap() }, { description });

export const objectRef = (kinds: string[] | undefined, description: string, withNamespace = false): Schema =>
  obj(
    {
      apiVersion: str(),
      kind: kinds ? str(undefined, { enum: kinds }) : str(),
      name: str(undefined, { minLength: 1 }),
      ...(withNamespace ? { namespace: str() } : {}),
    },
    { description, required: ['kind', 'name'] },
  );

export interface CrdNames {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
}

export function crd(names: CrdNames, schema: Schema, printerColumns: Schema[]): Schema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.${GROUP}`, annotations: { 'helm.sh/resource-policy': 'keep' } },
    spec: {
      group: GROUP,
      names: {
        kind: names.kind,
        listKind: `${names.kind}List`,
        plural: names.plural,
        singular: names.singular,
        shortNames: names.shortNames,
        categories: ['all', 'tollgate'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1beta1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: printerColumns,
          schema: { openAPIV3Schema: schema },
        },
      ],
    },
  };
}

export function rootSchema(description: string, spec: Schema, status: Schema): Schema {
  return {
    description,
    type: 'object',
    required: ['spec'],
    properties: { apiVersion: str(), kind: str(), metadata: { type: 'object' }, spec, status },
  };
}

export const conditions = (): Schema =>
  arrayOf(
    obj(
      {
        type: str('Type of the condition: Ready, Reconciling, Stalled, Promoted or Supported'),
        status: str(undefined, { enum: ['True', 'False', 'Unknown'] }),
        observedGeneration: int(),
        lastTransitionTime: str(undefined, { format: 'date-time' }),
        lastUpdateTime: str(undefined, { format: 'date-time' }),
        reason: str(),
        message: str(),
      },
      { required: ['type', 'status'] },
    ),
    'Conditions, kstatus-compatible',
    { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] },
  );
