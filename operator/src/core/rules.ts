/**
 * Evaluates the CEL rules a CRD schema carries (x-kubernetes-validations) on an object, as the API server does at
 * apply time: same expressions, same messages. The operator runs them on every Canary it reads, so a server without
 * CEL (before 1.25) or an object written before a rule existed still gets the rule's message in a condition.
 * Transition rules (naming oldSelf) are left out: there is no old object to give them. Pure.
 */
import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import { isTransitionRule } from '../api/crd/rules.js';
import type { Schema } from '../api/crd/schema.js';

export interface RuleViolation {
  /** Where the rule sits, as the API server names it: spec.analysis, spec.analysis.metrics[0]. */
  path: string;
  message: string;
}

interface Validation {
  rule: string;
  message: string;
}

/** Kubernetes' list library function the rules use (k8s.io/apiserver/pkg/cel/library/lists.go). */
const isSorted = (list: unknown[]): boolean =>
  list.every((v, i) => i === 0 || (list[i - 1] as number | bigint | string) <= (v as number | bigint | string));

const env = new Environment({ unlistedVariablesAreDyn: true }).registerFunction({
  name: 'isSorted',
  receiverType: 'list',
  returnType: 'bool',
  params: [],
  handler: isSorted,
});

/** Parsed rules; the rules come from our own schemas, a fixed set. */
const compiled = new Map<string, ParseResult>();

function program(rule: string): ParseResult {
  let p = compiled.get(rule);
  if (!p) {
    p = env.parse(rule);
    compiled.set(rule, p);
  }
  return p;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const validationsOf = (schema: Schema): Validation[] => (schema['x-kubernetes-validations'] as Validation[] | undefined) ?? [];
const child = (schema: Schema, key: string): Schema | undefined => {
  const props = schema.properties as Record<string, Schema> | undefined;
  if (props && Object.hasOwn(props, key)) return props[key];
  return isObject(schema.additionalProperties) ? schema.additionalProperties : undefined;
};

/**
 * The value as CEL sees it under the schema: integers are CEL ints (bigint), other numbers doubles. What the schema
 * does not describe (preserved unknown fields) is passed as it is, unvisited: its depth is the user's, not ours.
 */
export function celValue(value: unknown, schema: Schema | undefined): unknown {
  if (schema === undefined) return value;
  if (schema.type === 'integer' && typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (Array.isArray(value)) return value.map((item) => celValue(item, schema.items as Schema | undefined));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, celValue(v, child(schema, k))]));
  return value;
}

/**
 * Whether a rule holds for self (and oldSelf, for a transition rule), both as celValue gives them. Only true holds:
 * an evaluation error (a field read without has()) fails the rule, as on the server.
 */
export function ruleHolds(rule: string, vars: { self: unknown; oldSelf?: unknown }): boolean {
  try {
    return program(rule)(vars) === true;
  } catch {
    return false;
  }
}

function walk(schema: Schema, value: unknown, path: string, out: RuleViolation[]): void {
  if (value === undefined || value === null) return;
  const rules = validationsOf(schema).filter((v) => !isTransitionRule(v));
  if (rules.length) {
    const self = celValue(value, schema);
    for (const v of rules) if (!ruleHolds(v.rule, { self })) out.push({ path, message: v.message });
  }
  if (Array.isArray(value) && isObject(schema.items)) {
    value.forEach((item, i) => walk(schema.items as Schema, item, `${path}[${i}]`, out));
  } else if (isObject(value)) {
    const named = isObject(schema.properties) ? schema.properties : {};
    for (const [key, v] of Object.entries(value)) {
      const sub = child(schema, key);
      if (sub) walk(sub, v, Object.hasOwn(named, key) ? `${path}.${key}` : `${path}[${key}]`, out);
    }
  }
}

/** Every CEL rule of the schema (and of the schemas below it) that the value breaks, outermost first. */
export function ruleViolations(schema: Schema, value: unknown, path: string): RuleViolation[] {
  const out: RuleViolation[] = [];
  walk(schema, value, path, out);
  return out;
}
