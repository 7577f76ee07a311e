/**
 * Offline checks of Tollgate manifests, in the order the cluster applies them: the CRD schema (the API server),
 * the CRD's CEL rules (the API server, with the operator's evaluator and the same expressions), then the operator's
 * own validation of a Canary (canaryIssues: validateCanary's entries, the code the operator runs). Pure: text in, findings out.
 */
import { allCrds } from '@tollgate/operator/api/crd/index';
import { API_VERSION, GROUP } from '@tollgate/contract/metadata';
import type { CanarySpec } from '@tollgate/operator/api/types';
import { ruleViolations, type RuleViolation } from '@tollgate/operator/core/rules';
import { canaryIssues, type Capabilities, type ValidationIssue } from '@tollgate/operator/core/validation';
import { fieldPath, validateSchema, type Schema } from './schema.js';
import { isObject, parseDocuments, type Path, type Position, type SourceDocument } from './source.js';

type Severity = 'error' | 'warning';

/** Who would refuse (or remark on) the object: the API server's schema or CEL rules, or the operator. */
type Stage = 'yaml' | 'schema' | 'cel' | 'operator';

export interface Finding {
  file: string;
  line: number;
  column: number;
  /** 0-based document index in the file. */
  document: number;
  /** Kind and namespace/name of the object, when known. */
  object?: string;
  severity: Severity;
  stage: Stage;
  /** The field path, as the API server prints it (empty for the whole object). */
  path: string;
  message: string;
}

export interface LintResult {
  findings: Finding[];
  /** Tollgate objects checked. */
  checked: number;
  /** Documents of other kinds (a kustomize build has Deployments too), not checked. */
  skipped: number;
}

export interface LintOptions {
  /** The provider in effect for Canaries without spec.provider (the operator's --mesh-provider). */
  defaultProvider: string;
  caps: Capabilities;
}

const SCHEMAS: Readonly<Record<string, Schema>> = Object.fromEntries(
  Object.values(allCrds()).map((crd) => {
    const spec = crd.spec as { names: { kind: string }; versions: { schema: { openAPIV3Schema: Schema } }[] };
    return [spec.names.kind, spec.versions[0]!.schema.openAPIV3Schema];
  }),
);

/** Whether the kind's schema has CEL rules: the API server says when it could not check them. */
const HAS_RULES: Readonly<Record<string, boolean>> = Object.fromEntries(
  Object.entries(SCHEMAS).map(([k, s]) => [k, JSON.stringify(s).includes('"x-kubernetes-validations"')]),
);

/** Lints every document of one file's text. */
export function lintText(file: string, text: string, o: LintOptions): LintResult {
  const result: LintResult = { findings: [], checked: 0, skipped: 0 };
  for (const doc of parseDocuments(text)) {
    const base = { file, document: doc.index };
    if (doc.errors.length) {
      for (const e of doc.errors)
        result.findings.push({ ...base, ...at(e.at), severity: 'error', stage: 'yaml', path: '', message: e.message });
      continue;
    }
    for (const obj of objectsOf(doc)) {
      const kind = tollgateKind(obj.value);
      if (!kind) {
        result.skipped++;
        continue;
      }
      result.checked++;
      result.findings.push(...lintObject(obj, kind, o).map((f) => ({ ...base, ...f })));
    }
  }
  return result;
}

/** An object of a document: the document itself, or each item of a List (as kubectl get -o yaml prints them). */
type ObjectSource = Pick<SourceDocument, 'value' | 'locate'>;

function objectsOf(doc: SourceDocument): ObjectSource[] {
  const v = doc.value;
  if (v === undefined || v === null) return [];
  if (isObject(v) && v.apiVersion === 'v1' && v.kind === 'List' && Array.isArray(v.items)) {
    return v.items.map((item, i) => ({ value: item, locate: (path) => doc.locate(['items', i, ...path]) }));
  }
  return [doc];
}

/** The kind of a Tollgate object (tollgate.dev/v1beta1), else undefined; another version of the group is an error later. */
function tollgateKind(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const group = typeof value.apiVersion === 'string' ? value.apiVersion.split('/')[0] : undefined;
  return group === GROUP && typeof value.kind === 'string' && SCHEMAS[value.kind] ? value.kind : undefined;
}

type Located = Omit<Finding, 'file' | 'document'>;

const at = (p: Position): { line: number; column: number } => ({ line: p.line, column: p.column });

function lintObject(doc: ObjectSource, kind: string, o: LintOptions): Located[] {
  const obj = doc.value as Record<string, unknown>;
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const object = `${kind} ${typeof meta.namespace === 'string' ? `${meta.namespace}/` : ''}${typeof meta.name === 'string' ? meta.name : '(no name)'}`;
  const found = (severity: Severity, stage: Stage, path: Path, pathText: string, message: string): Located => ({
    ...at(doc.locate(path)),
    object,
    severity,
    stage,
    path: pathText,
    message,
  });
  const out: Located[] = [];
  if (obj.apiVersion !== API_VERSION) {
    out.push(
      found(
        'error',
        'schema',
        ['apiVersion'],
        'apiVersion',
        `no matches for kind "${kind}" in version "${String(obj.apiVersion)}": use ${API_VERSION}`,
      ),
    );
    return out;
  }
  const metaErrors = metadataErrors(meta);
  for (const m of metaErrors) out.push(found('error', 'schema', m.path, fieldPath(m.path), m.message));
  const { metadata: _m, status: _s, ...body } = obj;
  const schema = SCHEMAS[kind]!;
  const schemaFindings = validateSchema(schema, body);
  for (const f of schemaFindings) out.push(found('error', 'schema', f.path, fieldPath(f.path), f.message));
  if (schemaFindings.some((f) => f.blocking) || metaErrors.some((m) => m.blocking)) {
    if (!HAS_RULES[kind]) return out;
    out.push(
      found(
        'error',
        'cel',
        [],
        '',
        'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
      ),
    );
    return out;
  }
  const specSchema = (schema.properties as Record<string, Schema>).spec!;
  if (kind !== 'Canary' || !isObject(body.spec)) {
    for (const v of ruleViolations(specSchema, body.spec, 'spec'))
      out.push(found('error', 'cel', parsePath(v.path), v.path, celMessage(v)));
    return out;
  }
  // The API server drops null object members before its rules run (has() is then false): so does lint.
  const spec = withoutNullMembers(body.spec) as unknown as CanarySpec;
  const { cel, operator } = canaryFindings(specSchema, spec, o);
  for (const v of cel) out.push(found('error', 'cel', parsePath(v.path), v.path, celMessage(v)));
  if (schemaFindings.every((f) => f.kind === 'unknown')) {
    for (const f of operator) out.push(found(f.severity, 'operator', parsePath(f.path), f.path, f.message));
  }
  return out;
}

/** A copy without the object members whose value is null, at any depth (list items are kept). Pure. */
function withoutNullMembers(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNullMembers);
  if (!isObject(v)) return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([, x]) => x !== null)
      .map(([k, x]) => [k, withoutNullMembers(x)]),
  );
}

/** A broken CEL rule as the API server words it. */
const celMessage = (v: RuleViolation): string => `${v.path}: Invalid value: ${v.message}`;

interface OperatorFinding {
  severity: Severity;
  path: string;
  message: string;
}

/**
 * A Canary's CEL rule violations as the API server reports them, and what the operator reports besides (errors and
 * unsupported stop it, notices do not), from one run of the operator's validation with the provider in effect. The
 * server evaluates the object as written: without spec.provider it is another object (the provider rules hold on
 * it), so then the rules are evaluated on it too, and what only the provider in effect breaks is the operator's.
 */
function canaryFindings(specSchema: Schema, spec: CanarySpec, o: LintOptions): { cel: RuleViolation[]; operator: OperatorFinding[] } {
  const issues = canaryIssues(spec, spec.provider || o.defaultProvider, o.caps);
  const rules = issues.filter((i) => i.rule !== undefined).map((i) => ({ path: i.path, message: i.rule! }));
  const cel = spec.provider ? rules : ruleViolations(specSchema, spec, 'spec');
  const isServers = (i: ValidationIssue): boolean => i.rule !== undefined && cel.some((v) => v.path === i.path && v.message === i.rule);
  const severity = (i: ValidationIssue): Severity => (i.kind === 'notice' ? 'warning' : 'error');
  return { cel, operator: issues.filter((i) => !isServers(i)).map((i) => ({ severity: severity(i), path: i.path, message: i.message })) };
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

interface MetaError {
  path: Path;
  message: string;
  blocking?: boolean;
}

/** What the API server checks of metadata before the schema: a name (or generateName), a DNS subdomain. */
function metadataErrors(meta: Record<string, unknown>): MetaError[] {
  const name = meta.name;
  if (name === undefined || name === '') {
    return meta.generateName
      ? []
      : [{ path: ['metadata', 'name'], message: 'metadata.name: Required value: name or generateName is required', blocking: true }];
  }
  if (typeof name !== 'string')
    return [{ path: ['metadata', 'name'], message: `metadata.name: Invalid value: "${typeof name}": must be a string`, blocking: true }];
  const out: MetaError[] = [];
  if (!DNS_SUBDOMAIN.test(name))
    out.push({ path: ['metadata', 'name'], message: `metadata.name: Invalid value: ${JSON.stringify(name)}: ${DNS_SUBDOMAIN_MESSAGE}` });
  if (name.length > 253)
    out.push({
      path: ['metadata', 'name'],
      message: `metadata.name: Invalid value: ${JSON.stringify(name)}: must be no more than 253 characters`,
    });
  return out;
}

/** spec.analysis.metrics[0] (or a map key in brackets) as path segments. */
function parsePath(text: string): Path {
  const out: (string | number)[] = [];
  for (const m of text.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)) {
    if (m[1] !== undefined) out.push(m[1]);
    else out.push(/^\d+$/.test(m[2]!) ? Number(m[2]) : m[2]!);
  }
  return out;
}
