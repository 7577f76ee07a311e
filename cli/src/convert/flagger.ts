/**
 * Flagger objects (flagger.app Canary, MetricTemplate, AlertProvider) as their tollgate.dev equivalents. The
 * tollgate.dev kinds take Flagger's fields, so the conversion is the apiVersion, and the fields Tollgate's schema
 * does not declare (which the API server would refuse or prune) are removed and reported. The YAML node is edited
 * in place: comments and key order stay.
 */
import { isScalar, type Document } from 'yaml';
import { allCrds } from '@tollgate/operator/api/crd/index';
import { API_VERSION } from '@tollgate/contract/metadata';
import { fieldPath, validateSchema, type Schema } from '../lint/schema.js';
import { isObject, type Findings } from './report.js';

const FLAGGER_GROUP = 'flagger.app';

const SCHEMAS: Readonly<Record<string, Schema>> = Object.fromEntries(
  Object.values(allCrds()).map((crd) => {
    const spec = crd.spec as { names: { kind: string }; versions: { schema: { openAPIV3Schema: Schema } }[] };
    return [spec.names.kind, spec.versions[0]!.schema.openAPIV3Schema];
  }),
);

/** Whether a decoded object is a Flagger object Tollgate has a kind for. */
export function isFlagger(value: unknown): value is Record<string, unknown> {
  return (
    isObject(value) &&
    typeof value.apiVersion === 'string' &&
    value.apiVersion.split('/')[0] === FLAGGER_GROUP &&
    typeof value.kind === 'string' &&
    SCHEMAS[value.kind] !== undefined
  );
}

/** The fields of the object the tollgate.dev schema does not declare, as paths (status and metadata are not checked). */
function unknownFields(kind: string, value: Record<string, unknown>): (string | number)[][] {
  const { metadata: _m, status: _s, ...body } = value;
  return validateSchema(SCHEMAS[kind]!, body)
    .filter((f) => f.kind === 'unknown')
    .map((f) => [...f.path]);
}

/** A replacement of source text: [start, end) of the document's source by text. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/**
 * The conversion of the Flagger object at `at` (the document itself, or an item of a List) as an edit of the
 * source, when only its apiVersion changes (the rest of the text stays byte for byte); undefined when fields must go.
 */
export function apiVersionEdit(
  doc: Document,
  at: (string | number)[],
  value: Record<string, unknown>,
  source: string,
): TextEdit | undefined {
  if (value.status !== undefined || unknownFields(value.kind as string, value).length) return undefined;
  const node = doc.getIn([...at, 'apiVersion'], true);
  if (!isScalar(node) || !node.range) return undefined;
  const [start, end] = node.range;
  const quote = source[start] === '"' || source[start] === "'" ? source[start] : '';
  return { start, end, text: `${quote}${API_VERSION}${quote}` };
}

/**
 * Converts the Flagger object at `at` (the document itself, or an item of a List) in place, fields Tollgate does not
 * declare removed. The status a `kubectl get -o yaml` carries is removed too: it is the Flagger operator's.
 */
export function convertFlagger(doc: Document, at: (string | number)[], value: Record<string, unknown>, f: Findings): void {
  const kind = value.kind as string;
  doc.setIn([...at, 'apiVersion'], API_VERSION);
  if (doc.hasIn([...at, 'status'])) doc.deleteIn([...at, 'status']);
  const unknown = unknownFields(kind, value);
  for (const path of unknown) f.drop(fieldPath(path), `the tollgate.dev/v1beta1 ${kind} has no such field`);
  // Deepest first, and list items from the last: deleting one never shifts the path of another.
  const order = [...unknown].sort(
    (a, b) => b.length - a.length || String(b[b.length - 1]).localeCompare(String(a[a.length - 1]), 'en', { numeric: true }),
  );
  for (const path of order) doc.deleteIn([...at, ...path]);
}
