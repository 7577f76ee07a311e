import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import { canaryCrd, canarySpecSchema, MAX_STEPS, PROVIDER_NAMES } from '../src/api/crd/canary.js';
import { exampleSpec, RULE_EXAMPLES, type RuleExample } from '../src/api/crd/rule-examples.js';
import { IN_FLIGHT_PHASES } from '@tollgate/contract/phases';
import { ALL_RULES, CANARY_RULES, isTransitionRule } from '../src/api/crd/rules.js';
import type { Schema } from '../src/api/crd/schema.js';
import type { CanarySpec } from '../src/api/types.js';
import { celValue, ruleHolds, ruleViolations } from '../src/core/rules.js';
import { validateCanary } from '../src/core/validation.js';
import { providersWith, ROUTED_PROVIDERS, type RoutedProvider } from '@tollgate/contract/capabilities';

type Json = Record<string, any>;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SPEC = canarySpecSchema();

/** The valid Canary the examples change, a fresh copy. */
const base = (): CanarySpec => exampleSpec({});
const applied = exampleSpec;
const byMessage = new Map(ALL_RULES.map((r) => [r.message, r.id]));
const brokenIds = (spec: unknown): string[] => ruleViolations(SPEC, spec, 'spec').map((v) => byMessage.get(v.message) ?? v.message);

/** Every x-kubernetes-validations entry of a schema, with the schema node carrying it. */
function rulesIn(node: unknown, out: { node: Json; rule: Json }[] = []): { node: Json; rule: Json }[] {
  if (Array.isArray(node)) node.forEach((n) => rulesIn(n, out));
  else if (node && typeof node === 'object') {
    for (const rule of (node as Json)['x-kubernetes-validations'] ?? []) out.push({ node: node as Json, rule });
    Object.values(node).forEach((n) => rulesIn(n, out));
  }
  return out;
}

describe("ruleViolations, the API server's CEL check as the operator runs it", () => {
  const listSchema: Schema = {
    type: 'object',
    properties: {
      items: {
        type: 'array',
        items: {
          type: 'object',
          properties: { n: { type: 'integer' } },
          'x-kubernetes-validations': [{ rule: 'self.n > 1', message: 'n must exceed 1' }],
        },
      },
      byKey: {
        type: 'object',
        additionalProperties: {
          type: 'object',
          properties: { n: { type: 'integer' } },
          'x-kubernetes-validations': [{ rule: 'self.n > 1', message: 'n must exceed 1' }],
        },
      },
    },
  };

  it('given integers and doubles under a schema, then integers become CEL ints and the rest stays as it is', () => {
    const schema: Schema = {
      type: 'object',
      properties: { i: { type: 'integer' }, d: { type: 'number' }, l: { type: 'array', items: { type: 'integer' } } },
    };
    expect(celValue({ i: 3, d: 1.5, l: [1, 2], other: 4 }, schema)).toEqual({ i: 3n, d: 1.5, l: [1n, 2n], other: 4 });
  });

  it('given list items and map entries that break a rule on their schema, then each is reported at its own path', () => {
    const value = { items: [{ n: 5 }, { n: 0 }], byKey: { a: { n: 0 }, b: { n: 2 } } };
    expect(ruleViolations(listSchema, value, 'spec')).toEqual([
      { path: 'spec.items[1]', message: 'n must exceed 1' },
      { path: 'spec.byKey[a]', message: 'n must exceed 1' },
    ]);
  });

  it('given a rule reading a field without has() on an object without it, then the rule fails, as on the server', () => {
    const schema: Schema = { type: 'object', 'x-kubernetes-validations': [{ rule: 'self.x == 1', message: 'x must be 1' }] };
    expect(ruleViolations(schema, {}, 'spec')).toEqual([{ path: 'spec', message: 'x must be 1' }]);
  });

  it('given a transition rule, then it is left out: there is no old object', () => {
    const schema: Schema = { type: 'object', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'immutable' }] };
    expect(ruleViolations(schema, { a: 1 }, 'spec')).toEqual([]);
  });

  it.each<[string, number[], boolean]>([
    ['ascending', [1, 5, 9], true],
    ['with equal neighbours (isSorted is not strict in Kubernetes either)', [1, 1, 2], true],
    ['descending somewhere', [1, 5, 3], false],
    ['empty', [], true],
  ])('given a list %s, then isSorted() says %s', (_title, list, sorted) => {
    expect(ruleHolds('self.isSorted()', { self: list.map(BigInt) })).toBe(sorted);
  });
});

describe('the Canary rules', () => {
  it('given the valid base Canary, then no rule is broken', () => {
    expect(brokenIds(base())).toEqual([]);
  });

  it('given webhook URLs whose scheme is in capitals, then they are accepted (schemes are case-insensitive), and ftp is not', () => {
    const withUrl = (url: string): CanarySpec => ({ ...base(), analysis: { ...base().analysis, webhooks: [{ name: 'load', url }] } });
    expect(brokenIds(withUrl('HTTP://loadtester.test/'))).toEqual([]);
    expect(brokenIds(withUrl('HTTPS://loadtester.test/'))).toEqual([]);
    expect(brokenIds(withUrl('ftp://loadtester.test/'))).toEqual(['webhook-http']);
  });

  it.each(RULE_EXAMPLES.map((ex) => [ex.title, ex] as const))(
    "given %s, then exactly its rule is broken, and the operator reports the rule's message",
    (_title, ex) => {
      const spec = applied(ex);
      expect(brokenIds(spec)).toEqual([ex.id]);
      const { message } = ALL_RULES.find((r) => r.id === ex.id)!;
      const caps = {
        providers: new Set(ROUTED_PROVIDERS),
        targetKinds: new Set(['Deployment', 'DaemonSet']),
        builtinMetricProviders: new Set(['istio', 'kubernetes']),
      };
      expect(validateCanary(spec, spec.provider ?? 'istio', caps).errors).toEqual(
        expect.arrayContaining([expect.stringContaining(`: ${message}`)]),
      );
    },
  );

  it('given the rules, then every one but the transition rules has an example, and ids and messages are unique', () => {
    const plain = ALL_RULES.filter((r) => !isTransitionRule(r)).map((r) => r.id);
    expect([...new Set(RULE_EXAMPLES.map((e) => e.id))].sort()).toEqual([...plain].sort());
    expect(new Set(ALL_RULES.map((r) => r.id)).size).toBe(ALL_RULES.length);
    expect(new Set(ALL_RULES.map((r) => r.message)).size).toBe(ALL_RULES.length);
    expect(ALL_RULES.filter(isTransitionRule)).toEqual(CANARY_RULES);
  });

  it('given the generated CRD, then it carries every rule (analysis twice, for the canaryAnalysis alias), each with a plain message', () => {
    const found = rulesIn(canaryCrd()).map(({ rule }) => rule);
    for (const r of found) expect(Object.keys(r).sort()).toEqual(['message', 'rule']);
    const counts = new Map<string, number>();
    for (const r of found) counts.set(r.rule as string, (counts.get(r.rule as string) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(ALL_RULES.map((r) => r.rule).sort());
  });

  it('given a rule that iterates a list of its object, then that list has maxItems (the API server estimates the cost from it)', () => {
    const iterated = rulesIn(canaryCrd()).flatMap(({ node, rule }) =>
      [...(rule.rule as string).matchAll(/self\.(\w+)\.(?:all|exists|exists_one|map|filter|isSorted)\(/g)].map(
        (m) => node.properties[m[1]!] as Json,
      ),
    );
    expect(iterated.length).toBeGreaterThan(0);
    for (const list of iterated) {
      expect(typeof list.maxItems).toBe('number');
      expect(list.maxItems).toBeLessThanOrEqual(MAX_STEPS);
    }
  });
});

describe('the capability rules, generated from contract/src/capabilities.ts', () => {
  const features: [string, ReadonlySet<RoutedProvider>, RuleExample['analysis']][] = [
    ['match', new Set(providersWith('match')), { stepWeight: undefined, iterations: 5, match: [{ headers: { x: { exact: 'y' } } }] }],
    ['mirror', new Set(providersWith('mirror')), { stepWeight: undefined, iterations: 5, mirror: true }],
    ['sessionAffinity', new Set(providersWith('sessionAffinity')), { sessionAffinity: { cookieName: 'side' } }],
  ];
  const cases = features.flatMap(([feature, capable, analysis]) => PROVIDER_NAMES.map((p) => [feature, p, capable, analysis] as const));

  it.each(cases)(
    'given analysis.%s on provider %s, then it is refused exactly when the provider has a router without that capability',
    (feature, provider, capable, analysis) => {
      const refused = (ROUTED_PROVIDERS as readonly string[]).includes(provider) && !capable.has(provider as RoutedProvider);
      const ids = brokenIds(applied({ spec: { provider }, analysis }));
      expect(ids.includes(`${feature === 'sessionAffinity' ? 'affinity' : feature}-provider`)).toBe(refused);
    },
  );

  it('given the deprecated canaryAnalysis alias, then the capability rules read it too', () => {
    const spec = { ...base(), provider: 'kubernetes', analysis: undefined, canaryAnalysis: { iterations: 5, mirror: true } };
    expect(brokenIds(JSON.parse(JSON.stringify(spec)))).toEqual(['mirror-provider']);
  });
});

describe('the rules on real Flagger manifests', () => {
  const dir = path.join(root, 'e2e/flagger-corpus');
  const canaries = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) =>
      (loadAll(fs.readFileSync(path.join(dir, f), 'utf8')) as Json[])
        .filter((d) => d?.kind === 'Canary')
        .map((d) => [`${f} ${d.metadata.name}`, d.spec] as const),
    );

  it('given the corpus, then it holds Canaries', () => {
    expect(canaries.length).toBeGreaterThan(10);
  });

  it.each(canaries)('given %s, then no rule is broken', (_name, spec) => {
    expect(ruleViolations(SPEC, spec, 'spec')).toEqual([]);
  });
});

describe('the transition rules (updates only)', () => {
  const canary = (phase: string | undefined, spec: Partial<CanarySpec> = {}): Json =>
    JSON.parse(JSON.stringify({ spec: { ...base(), ...spec }, status: { observedGeneration: 1, phase } })) as Json;
  const [target, provider] = CANARY_RULES;
  const other = { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'other' } };

  it.each(IN_FLIGHT_PHASES)('given phase %s, then the target and the provider cannot change, and anything else can', (phase) => {
    expect(ruleHolds(target!.rule, { self: canary(phase, other), oldSelf: canary(phase) })).toBe(false);
    expect(ruleHolds(provider!.rule, { self: canary(phase, { provider: 'linkerd' }), oldSelf: canary(phase) })).toBe(false);
    expect(ruleHolds(provider!.rule, { self: canary(phase, { provider: undefined }), oldSelf: canary(phase) })).toBe(false);
    expect(ruleHolds(target!.rule, { self: canary(phase, { suspend: true }), oldSelf: canary(phase) })).toBe(true);
    expect(ruleHolds(provider!.rule, { self: canary(phase, { suspend: true }), oldSelf: canary(phase) })).toBe(true);
  });

  it.each([undefined, '', 'Initialized', 'Waiting', 'Succeeded', 'Failed', 'Terminated'])(
    'given phase %s, then the target and the provider may change',
    (phase) => {
      expect(ruleHolds(target!.rule, { self: canary(phase, other), oldSelf: canary(phase) })).toBe(true);
      expect(ruleHolds(provider!.rule, { self: canary(phase, { provider: 'linkerd' }), oldSelf: canary(phase) })).toBe(true);
    },
  );
});

describe('ruleViolations on what the user nests', () => {
  it('given a match condition nested 100,000 levels deep under a field the schema leaves open, then the rules still run and the depth is not walked', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = { x: deep };
    const spec = JSON.parse(JSON.stringify(base()));
    spec.analysis.match = [{ headers: { a: { exact: 'b' } }, extra: deep }];
    expect(brokenIds(spec)).toEqual(['match-needs-iterations']);
  });
});
