/**
 * tollgate convert, without I/O: a set of manifests in (files, or the output of kustomize build or helm template),
 * the same stream out with Flagger and Argo Rollouts objects replaced by their tollgate.dev equivalents, and every
 * field that could not be carried over, with the reason. Other documents pass through byte for byte.
 */
import { Document, isMap, isScalar, type Document as Doc } from 'yaml';
import { convertAnalysisTemplate, type ConvertedTemplate } from './argo-analysis.js';
import { convertRollout, WORKLOAD_KEYS, type RolloutInputs } from './argo-rollout.js';
import { apiVersionEdit, convertFlagger, isFlagger, type TextEdit } from './flagger.js';
import { Findings, isObject, objectName, type Dropped, type Note } from './report.js';
import { indentsSequences, joinDocuments, parseChunks, type Chunk } from './stream.js';

export interface ConvertInput {
  file: string;
  text: string;
}

export interface ConvertResult {
  /** The converted stream. */
  text: string;
  dropped: Dropped[];
  notes: Note[];
  /** Objects written, by kind (Canary, MetricTemplate, AlertProvider, Deployment). */
  written: Record<string, number>;
  /** Objects converted from, by source kind. */
  converted: Record<string, number>;
  /** Documents passed through unchanged. */
  passed: number;
}

const ARGO_GROUP = 'argoproj.io';
const TEMPLATE_KINDS = new Set(['AnalysisTemplate', 'ClusterAnalysisTemplate']);

const groupOf = (v: Record<string, unknown>): string => (typeof v.apiVersion === 'string' ? v.apiVersion.split('/')[0]! : '');
const isArgo = (v: unknown, kinds: Set<string>): v is Record<string, unknown> =>
  isObject(v) && groupOf(v) === ARGO_GROUP && typeof v.kind === 'string' && kinds.has(v.kind);

interface Work {
  chunks: Chunk[];
  /** The replacement text of a chunk, by chunk; absent: unchanged. */
  out: Map<Chunk, string[]>;
  result: ConvertResult;
  templates: { cluster: boolean; namespace?: string; name: string; converted: ConvertedTemplate }[];
  indentSeq: boolean;
}

export function convertManifests(inputs: ConvertInput[]): ConvertResult {
  const chunks = inputs.flatMap((i) => parseChunks(i.file, i.text));
  const w: Work = {
    chunks,
    out: new Map(),
    result: { text: '', dropped: [], notes: [], written: {}, converted: {}, passed: 0 },
    templates: [],
    indentSeq: inputs.every((i) => indentsSequences(i.text)),
  };
  for (const c of chunks) if (isArgo(c.value, TEMPLATE_KINDS)) convertTemplate(w, c);
  for (const c of chunks) if (isArgo(c.value, new Set(['Rollout']))) rollout(w, c);
  for (const c of chunks) flagger(w, c);
  for (const c of chunks)
    if (isArgo(c.value, new Set(['AnalysisRun', 'Experiment'])))
      w.result.notes.push({ object: objectName(c.value), message: 'passed through unchanged: Tollgate has no equivalent' });
  w.result.text = joinDocuments(chunks.flatMap((c) => w.out.get(c) ?? [c.text]));
  w.result.passed = chunks.filter((c) => !w.out.has(c) && c.value !== undefined).length;
  return w.result;
}

function count(map: Record<string, number>, kind: string): void {
  map[kind] = (map[kind] ?? 0) + 1;
}

function finish(w: Work, f: Findings, chunk: Chunk, kind: string, texts: string[], writtenKinds: string[]): void {
  w.result.dropped.push(...f.dropped);
  w.result.notes.push(...f.notes);
  w.out.set(chunk, texts);
  count(w.result.converted, kind);
  for (const k of writtenKinds) count(w.result.written, k);
}

/** A document of a new object, as YAML. */
function render(w: Work, value: unknown): string {
  return new Document(value, { version: '1.1' }).toString({ indentSeq: w.indentSeq, lineWidth: 0 });
}

function stringify(w: Work, doc: Doc): string {
  return doc.toString({ indentSeq: w.indentSeq, lineWidth: 0 });
}

function convertTemplate(w: Work, c: Chunk): void {
  const value = c.value as Record<string, unknown>;
  const f = new Findings(objectName(value));
  const t = convertAnalysisTemplate(value, f);
  const meta = isObject(value.metadata) ? value.metadata : {};
  w.templates.push({
    cluster: value.kind === 'ClusterAnalysisTemplate',
    name: String(meta.name),
    ...(typeof meta.namespace === 'string' ? { namespace: meta.namespace } : {}),
    converted: t,
  });
  if (!t.metricTemplates.length) f.note('no metric converts: the document is left out');
  finish(
    w,
    f,
    c,
    String(value.kind),
    t.metricTemplates.map((m) => render(w, m)),
    t.metricTemplates.map(() => 'MetricTemplate'),
  );
}

/** Whether an object of namespace b can be one a Rollout of namespace a refers to (either may be left to kubectl's -n). */
const sameNamespace = (a: unknown, b: unknown): boolean => a === undefined || b === undefined || a === b;

/** The chunk of the input holding the object of that kind and name, in the namespace (or none given). */
function chunkOf(w: Work, kind: string, name: string, namespace: unknown): Chunk | undefined {
  return w.chunks.find(
    (c) =>
      isObject(c.value) &&
      c.value.kind === kind &&
      isObject(c.value.metadata) &&
      c.value.metadata.name === name &&
      sameNamespace(namespace, c.value.metadata.namespace),
  );
}

/** The objects of the input a Rollout of the namespace may refer to. */
function rolloutInputs(w: Work, namespace: unknown): RolloutInputs {
  const byKind = (kind: string) => (name: string) => chunkOf(w, kind, name, namespace)?.value as Record<string, unknown> | undefined;
  return {
    service: byKind('Service'),
    deployment: byKind('Deployment'),
    httpRoute: byKind('HTTPRoute'),
    virtualService: byKind('VirtualService'),
    template: (name, cluster) =>
      w.templates.find(
        (t) => t.name === name && t.cluster === cluster && (cluster || sameNamespace(namespace, t.namespace)) && t.converted.metrics.length,
      )?.converted,
  };
}

function rollout(w: Work, c: Chunk): void {
  const value = c.value as Record<string, unknown>;
  const f = new Findings(objectName(value));
  const namespace = isObject(value.metadata) ? value.metadata.namespace : undefined;
  const r = convertRollout(value, rolloutInputs(w, namespace), f);
  const texts: string[] = [];
  const kinds: string[] = [];
  if (r.deploymentSpecKeys) {
    texts.push(stringify(w, deploymentOf(c.doc, r.deploymentSpecKeys)));
    kinds.push('Deployment');
  }
  if (r.workload) scaleWorkload(w, r.workload, namespace, f);
  texts.push(render(w, r.canary));
  kinds.push('Canary');
  finish(w, f, c, 'Rollout', texts, kinds);
}

/** The Rollout's own document as a Deployment: its comments stay; the strategy and other Argo fields go. */
function deploymentOf(doc: Doc, keep: string[]): Doc {
  const d = doc.clone();
  d.set('apiVersion', 'apps/v1');
  d.set('kind', 'Deployment');
  const spec = d.get('spec', true);
  if (isMap(spec)) {
    for (const item of [...spec.items]) {
      const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
      if (!keep.includes(key) || !WORKLOAD_KEYS.includes(key)) spec.delete(item.key);
    }
  }
  d.deleteIn(['status']);
  return d;
}

/** A Deployment of the input scaled to 0 for Argo (workloadRef) gets the Rollout's replicas: Tollgate releases it. */
function scaleWorkload(w: Work, workload: { name: string; replicas: number }, namespace: unknown, f: Findings): void {
  const chunk = chunkOf(w, 'Deployment', workload.name, namespace);
  if (!chunk || w.out.has(chunk)) return;
  chunk.doc.setIn(['spec', 'replicas'], workload.replicas);
  w.out.set(chunk, [stringify(w, chunk.doc)]);
  f.note(`the Deployment ${workload.name} was scaled to 0 for Argo: it gets the Rollout's ${workload.replicas} replicas`);
}

function flagger(w: Work, c: Chunk): void {
  const v = c.value;
  const items: { at: (string | number)[]; value: Record<string, unknown> }[] = isFlagger(v)
    ? [{ at: [], value: v }]
    : isObject(v) && v.kind === 'List' && Array.isArray(v.items)
      ? v.items.flatMap((item, i) => (isFlagger(item) ? [{ at: ['items', i], value: item }] : []))
      : [];
  if (!items.length) return;
  const f = new Findings(isFlagger(v) ? objectName(v) : `List (document ${c.index + 1} of ${c.file})`);
  const edits = items.map((i) => apiVersionEdit(c.doc, i.at, i.value, c.text));
  let text: string;
  if (edits.every((e): e is TextEdit => e !== undefined)) {
    text = splice(c.text, edits);
  } else {
    for (const i of items) {
      const itemFindings = new Findings(objectName(i.value));
      convertFlagger(c.doc, i.at, i.value, itemFindings);
      f.dropped.push(...itemFindings.dropped);
    }
    text = stringify(w, c.doc);
  }
  finish(
    w,
    f,
    c,
    isFlagger(v) ? `${String(v.kind)} (flagger.app)` : 'List',
    [text],
    items.map((i) => String(i.value.kind)),
  );
}

/** The source with the edits applied (they do not overlap). */
function splice(source: string, edits: TextEdit[]): string {
  let out = source;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}
