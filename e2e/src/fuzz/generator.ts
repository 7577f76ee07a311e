import { clone, DuplicateKey, isObject, objectOf, RawNumber, serialize, setKey, type JsonObject } from './json.js';
import { mix, Rng } from './random.js';
import { fieldPaths, predict, schemaAt, type OracleOptions, type Prediction, type SchemaNode } from './schema.js';
import {
  BAD_DURATIONS,
  boundaryInteger,
  boundaryNumber,
  hugeString,
  nested,
  ODD_KEYS,
  ODD_STRINGS,
  offByCase,
  randomJson,
  validDuration,
  validValue,
} from './values.js';

/**
 * The kinds of generated Canaries:
 * - valid: a Flagger-valid spec for a Deployment that exists (plus unknown fields the server prunes); must initialize.
 * - semantic: a spec the schema accepts with one mistake only the operator can see (or a missing target);
 *   must be reported with a known reason and a message naming the mistake.
 * - schema: a valid spec with 1 to 4 random mutations (wrong types, bounds, enums off by case, nulls, unknown
 *   and duplicate fields, odd unicode, huge strings, deep nesting, raw number literals).
 * - deep: like schema, restricted to values the schema accepts, for a target that exists: reaches the
 *   Services and routes code.
 * - wild: a spec assembled at random from the schema's field names, random types and random JSON.
 */
export type Family = 'valid' | 'semantic' | 'schema' | 'deep' | 'wild';

export type Outcome = { kind: 'initialize' } | { kind: 'report' } | { kind: 'blocked'; reason: string; fragments: RegExp[] };

export type Expectation =
  | { kind: 'reject'; paths: { path: string; under?: string }[] }
  | { kind: 'accept'; stored: unknown; outcome: Outcome; floatIntegers?: string[] };

export interface FuzzCase {
  index: number;
  /** seed:index, enough to regenerate the case. */
  id: string;
  family: Family;
  name: string;
  namespace: string;
  /** What was done to the spec, in order. */
  mutations: string[];
  /** A Deployment of this name must exist before the Canary is created. */
  target?: string;
  /** The full Canary as sent (raw JSON, may hold duplicate keys and raw number literals). */
  body: string;
  prediction: Prediction;
  expect: Expectation;
}

export interface GeneratorOptions {
  seed: number;
  count: number;
  namespaces: readonly string[];
  schema: SchemaNode;
  oracle: OracleOptions;
  /**
   * At most this many cases get a real Deployment (valid and deep families). By default the budget grows with
   * the index (4, plus 6% of the cases before), so that a shorter run is a prefix of a longer one.
   */
  maxTargets?: number;
}

/** The apex Service name some deep cases share, to see what the operator makes of the clash. */
export const SHARED_APEX = 'shared-apex';

const FAMILY_WEIGHTS: readonly (readonly [number, Family])[] = [
  [3, 'valid'],
  [15, 'semantic'],
  [62, 'schema'],
  [4, 'deep'],
  [16, 'wild'],
];
const MAX_BODY = 900_000;
export const API_VERSION = 'tollgate.dev/v1beta1';

/** Every case of a run, in index order; the same seed gives the same cases (a prefix for a smaller count). */
export function generateCases(o: GeneratorOptions): FuzzCase[] {
  const ctx = new Context(o);
  return Array.from({ length: o.count }, (_, i) => ctx.generate(i));
}

class Context {
  private readonly holder: SchemaNode;
  private readonly paths: { path: (string | number)[]; schema: SchemaNode }[];
  private targets = 0;

  constructor(private readonly o: GeneratorOptions) {
    this.holder = { type: 'object', properties: { spec: o.schema } };
    this.paths = [{ path: ['spec'], schema: o.schema }, ...fieldPaths(o.schema, 7, ['spec'])];
  }

  generate(index: number): FuzzCase {
    for (let attempt = 0; ; attempt++) {
      const rng = new Rng(mix(this.o.seed, index * 64 + attempt));
      const c = this.attempt(rng, index);
      if (Buffer.byteLength(c.body) <= MAX_BODY || attempt > 20) {
        if (c.target) this.targets++;
        return c;
      }
    }
  }

  // eslint-disable-next-line complexity -- over the limit when the lint gate came in; split it when it next changes
  private attempt(rng: Rng, index: number): FuzzCase {
    let family = rng.weighted(FAMILY_WEIGHTS);
    const wantsTarget = family === 'valid' || family === 'deep';
    if (wantsTarget && this.targets >= (this.o.maxTargets ?? 4 + Math.floor(index * 0.06))) family = 'schema';
    const namespace = this.o.namespaces[index % this.o.namespaces.length]!;
    const name = `fz-${String(index).padStart(4, '0')}`;
    const target = family === 'valid' || family === 'deep' ? `fzt-${String(index).padStart(4, '0')}` : `absent-${index}`;
    // Deep cases sometimes use a provider whose CRDs may be missing (RouterUnavailable) or present (other suites install them).
    const providers = family === 'valid' || (family === 'deep' && rng.chance(0.75)) ? VALID_PROVIDERS : ANY_PROVIDERS;
    const holder: JsonObject = { spec: flaggerBase(rng, target, providers) };
    const mutations: string[] = [];
    const outcome = this.shape(family, rng, holder, { namespace, target }, mutations);
    const prediction = predict(this.o.schema, holder.spec, this.o.oracle);
    const expect: Expectation = prediction.issues.length
      ? {
          kind: 'reject',
          paths: [...new Map(prediction.issues.map((i) => [i.path, { path: i.path, ...(i.under ? { under: i.under } : {}) }])).values()],
        }
      : {
          kind: 'accept',
          stored: prediction.stored,
          outcome,
          ...(prediction.floatIntegers.length ? { floatIntegers: prediction.floatIntegers } : {}),
        };
    // A semantic mistake that is a CEL rule of the CRD is refused by a server that checks CEL: that is its point.
    const byRules = prediction.issues.every((i) => i.what === 'rule');
    if ((family === 'valid' || (family === 'semantic' && !byRules)) && expect.kind === 'reject') {
      throw new Error(
        `generator bug: ${family} case ${this.o.seed}:${index} is invalid for the schema: ${JSON.stringify(prediction.issues)}`,
      );
    }
    const metadata = { name, namespace, labels: { 'fuzz.tollgate.dev/seed': String(this.o.seed), 'fuzz.tollgate.dev/family': family } };
    const top: JsonObject = { apiVersion: API_VERSION, kind: 'Canary', metadata };
    if (holder.spec !== undefined) top.spec = holder.spec;
    if (family !== 'valid' && rng.chance(0.05)) {
      const key = rng.pick(['status', 'extra', 'Spec', 'spec ']);
      setKey(
        top,
        key,
        key === 'status'
          ? objectOf([
              ['phase', rng.pick(['Succeeded', 'Bogus', 7])],
              ['canaryWeight', rng.pick([100, -5, 'x'])],
            ])
          : randomJson(rng, 3),
      );
      mutations.push(`top-level ${JSON.stringify(key)} added (ignored)`);
    }
    return {
      index,
      id: `${this.o.seed}:${index}`,
      family,
      name,
      namespace,
      mutations,
      prediction,
      expect,
      ...(family === 'valid' || family === 'deep' ? { target } : {}),
      body: serialize(top),
    };
  }

  /** Shapes holder.spec as the family wants, recording each change in mutations; what the operator should do with it. */
  private shape(family: Family, rng: Rng, holder: JsonObject, at: { namespace: string; target: string }, mutations: string[]): Outcome {
    switch (family) {
      case 'valid':
        for (let i = rng.int(0, 2); i > 0; i--)
          mutations.push(addUnknown(rng, holder, rng.pick(['spec', 'spec.service', 'spec.analysis', 'spec.targetRef']), this.holder));
        if (rng.chance(0.2))
          mutations.push(sameTwice(holder, rng.pick(['provider', 'progressDeadlineSeconds', 'skipAnalysis']).split('.')));
        return { kind: 'initialize' };
      case 'semantic':
        return semanticMutation(rng, holder.spec as JsonObject, at.namespace, at.target, mutations);
      case 'schema':
        for (
          let i = rng.weighted([
            [5, 1],
            [3, 2],
            [2, 3],
            [1, 4],
          ] as const);
          i > 0;
          i--
        )
          mutations.push(this.mutate(rng, holder));
        break;
      case 'deep':
        this.acceptedMutations(rng, holder, mutations);
        if (rng.chance(0.15)) {
          // Two Canaries of a namespace naming the same apex Service: one of them cannot have it.
          ((holder.spec as JsonObject).service as JsonObject).name = SHARED_APEX;
          mutations.push(`spec.service.name = ${SHARED_APEX} (shared with other cases)`);
        }
        break;
      case 'wild':
        holder.spec = this.wild(rng, this.o.schema, 0);
        mutations.push('spec assembled at random');
        break;
    }
    return { kind: 'report' };
  }

  /** One random mutation of the spec (held in holder.spec), described. */
  // eslint-disable-next-line complexity -- over the limit when the lint gate came in; split it when it next changes
  private mutate(rng: Rng, holder: JsonObject): string {
    const existing = existingPaths(holder.spec, ['spec']);
    const usePresent = existing.length > 0 && rng.chance(0.6);
    const p = usePresent ? rng.pick(existing) : rng.pick(this.paths).path;
    const s = schemaAt(this.holder, p);
    const kind = rng.weighted([
      [30, 'invalid'],
      [12, 'valid'],
      [8, 'null'],
      [8, 'delete'],
      [8, 'unknown'],
      [6, 'unicode'],
      [3, 'huge'],
      [8, 'boundary'],
      [6, 'empty'],
      [4, 'duplicate'],
      [4, 'deep'],
      [3, 'enum-case'],
    ] as const);
    const at = pathText(p);
    switch (kind) {
      case 'invalid': {
        const v = s ? invalidValue(rng, s) : randomJson(rng, 2);
        set(holder, p, v, this.holder, rng);
        return `${at} = ${short(v)} (invalid for ${describe(s)})`;
      }
      case 'valid': {
        const v = s ? validValue(rng, s) : randomJson(rng, 2);
        set(holder, p, v, this.holder, rng);
        return `${at} = ${short(v)}`;
      }
      case 'null':
        set(holder, p, null, this.holder, rng);
        return `${at} = null`;
      case 'delete':
        remove(holder, p);
        return `${at} deleted`;
      case 'unknown':
        return addUnknown(rng, holder, at, this.holder);
      case 'unicode': {
        const q = rng.chance(0.7) ? this.pickPlainString(rng) : p;
        const v = rng.pick(ODD_STRINGS);
        set(holder, q, v, this.holder, rng);
        return `${pathText(q)} = ${short(v)}`;
      }
      case 'huge': {
        // Mostly where the operator quotes the value back: names, URLs, references.
        const q = rng.chance(0.7) ? this.pickPlainString(rng) : p;
        const v = hugeString(rng);
        set(holder, q, v, this.holder, rng);
        return `${pathText(q)} = a ${v.length}-character string`;
      }
      case 'boundary': {
        const v = s?.type === 'number' ? boundaryNumber(rng) : boundaryInteger(rng, s ?? {});
        set(holder, p, v, this.holder, rng);
        return `${at} = ${short(v)}`;
      }
      case 'empty': {
        const v = rng.pick<unknown>([[], {}, '', 0, false]);
        set(holder, p, v, this.holder, rng);
        return `${at} = ${short(v)}`;
      }
      case 'duplicate':
        return this.duplicateKey(rng, holder, p);
      case 'deep':
        return this.deepNesting(rng, holder, p);
      case 'enum-case': {
        const enums = this.paths.filter((x) => x.schema.enum);
        const q = rng.pick(enums);
        const v = offByCase(rng, String(rng.pick(q.schema.enum!.filter((e) => e !== ''))));
        set(holder, q.path, v, this.holder, rng);
        return `${pathText(q.path)} = ${short(v)} (enum off by case)`;
      }
    }
  }

  /** The nearest object member at or above the path written twice in the JSON text. */
  private duplicateKey(rng: Rng, holder: JsonObject, p: (string | number)[]): string {
    // Only an object member can be written twice: the nearest one at or above the path.
    let q = p;
    while (typeof q[q.length - 1] === 'number') q = q.slice(0, -1);
    const sq = schemaAt(this.holder, q);
    const current = get(holder, q);
    const other = sq ? (rng.chance(0.5) ? validValue(rng, sq) : invalidValue(rng, sq)) : randomJson(rng, 1);
    const pair = rng.chance(0.5) ? [current ?? null, other] : [other, current ?? null];
    set(holder, q, new DuplicateKey(pair), this.holder, rng);
    return `${pathText(q)} written twice: ${short(pair[0])} then ${short(pair[1])}`;
  }

  /** Deep nesting: under a field that keeps unknown fields (kept shallow), or in an unknown field (pruned). */
  private deepNesting(rng: Rng, holder: JsonObject, p: (string | number)[]): string {
    const openPaths = this.paths.filter((x) => x.schema['x-kubernetes-preserve-unknown-fields']);
    if (rng.chance(0.6) && openPaths.length) {
      // Object nesting under x-kubernetes-preserve-unknown-fields costs the API server time exponential in depth: kept small.
      const q = rng.pick(openPaths).path;
      const asList = rng.chance(0.4);
      const depth = asList ? rng.int(10, 60) : rng.int(2, 9);
      set(holder, [...q, `deep${depth}`], nested(depth, asList), this.holder, rng);
      return `${pathText(q)}.deep${depth} = ${depth} nested ${asList ? 'lists' : 'objects'}`;
    }
    const depth = rng.int(20, 300);
    const under: (string | number)[] = p.length > 1 && schemaAt(this.holder, p.slice(0, 2))?.type === 'object' ? p.slice(0, 2) : ['spec'];
    set(holder, [...under, 'nestedUnknown'], nested(depth, rng.chance(0.3)), this.holder, rng);
    return `${depth} levels of nesting in an unknown field under ${pathText(under)}`;
  }

  /** A string field with no enum, pattern or length bound: any string is valid there. */
  private pickPlainString(rng: Rng): (string | number)[] {
    const quoted = [
      ['spec', 'targetRef', 'name'],
      ['spec', 'analysis', 'metrics', 0, 'name'],
      ['spec', 'analysis', 'webhooks', 0, 'url'],
      ['spec', 'service', 'name'],
      ['spec', 'targetRef', 'apiVersion'],
    ];
    if (rng.chance(0.5)) return rng.pick(quoted);
    return rng.pick(this.paths.filter((x) => x.schema.type === 'string' && !x.schema.enum && !x.schema.pattern && !x.schema.minLength))
      .path;
  }

  /** Mutations the schema accepts, under service and analysis (tries until the oracle agrees). */
  private acceptedMutations(rng: Rng, holder: JsonObject, mutations: string[]): void {
    const leaves = this.paths.filter(
      (x) => (x.path[1] === 'service' || x.path[1] === 'analysis') && x.schema.type !== 'object' && x.schema.type !== 'array',
    );
    for (let n = rng.int(1, 3), tries = 0; n > 0 && tries < 30; tries++) {
      const before = clone(holder.spec);
      const q = rng.pick(leaves);
      const v =
        rng.chance(0.3) && q.schema.type === 'string' && !q.schema.enum && !q.schema.pattern
          ? rng.pick(ODD_STRINGS)
          : validValue(rng, q.schema);
      set(holder, q.path, v, this.holder, rng);
      if (predict(this.o.schema, holder.spec, this.o.oracle).issues.length) {
        holder.spec = before;
        continue;
      }
      mutations.push(`${pathText(q.path)} = ${short(v)}`);
      n--;
    }
  }

  /** A spec from the schema's names with random types: valid, invalid or random values at each level. */
  private wild(rng: Rng, s: SchemaNode | undefined, depth: number): unknown {
    if (!s || depth > 5) return randomJson(rng, 2);
    const r = rng.float();
    if (depth > 0 && r < 0.35) return validValue(rng, s);
    if (depth > 0 && r < 0.6) return invalidValue(rng, s);
    if (r < 0.05) return randomJson(rng, 3);
    if (s.type === 'object' && s.properties) {
      const out: JsonObject = {};
      for (const [k, child] of Object.entries(s.properties)) if (rng.chance(0.35)) setKey(out, k, this.wild(rng, child, depth + 1));
      if (rng.chance(0.3)) setKey(out, rng.pick(ODD_KEYS), randomJson(rng, 2));
      return out;
    }
    if (s.type === 'array' && s.items) return Array.from({ length: rng.int(0, 3) }, () => this.wild(rng, s.items, depth + 1));
    return rng.chance(0.5) ? validValue(rng, s) : invalidValue(rng, s);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Valid Flagger specs

const VALID_PROVIDERS = ['istio', 'istio', 'istio', '', 'kubernetes'] as const;
const ANY_PROVIDERS = [
  'istio',
  'istio',
  '',
  'kubernetes',
  'linkerd',
  'smi:v1alpha3',
  'gatewayapi:v1',
  'appmesh',
  'nginx',
  'contour',
  'osm',
] as const;

/** A Flagger-valid Canary spec (written from Flagger's API, not from this project's schema), Istio-valid too. */
export function flaggerBase(rng: Rng, target: string, providers: readonly string[]): JsonObject {
  const provider = rng.pick(providers);
  const spec: JsonObject = {};
  if (provider) spec.provider = provider;
  spec.targetRef = { ...(rng.chance(0.85) ? { apiVersion: 'apps/v1' } : {}), kind: 'Deployment', name: target };
  spec.service = serviceBlock(rng, target);
  const analysis = analysisBlock(rng, provider || 'istio');
  if (rng.chance(0.05)) spec.canaryAnalysis = analysis;
  else spec.analysis = analysis;
  if (rng.chance(0.4)) spec.progressDeadlineSeconds = rng.pick([1, 60, 600, 3600, 2 ** 31 - 1]);
  if (rng.chance(0.15)) spec.skipAnalysis = rng.chance(0.5);
  if (rng.chance(0.2)) spec.revertOnDeletion = rng.chance(0.5);
  if (rng.chance(0.15)) spec.metricsServer = 'http://prometheus.istio-system:9090';
  return clone(spec);
}

function serviceBlock(rng: Rng, target: string): JsonObject {
  const s: JsonObject = { port: rng.pick([80, 9898, 8080, 1, 65535]) };
  const maybe = (p: number, k: string, v: () => unknown): void => {
    if (rng.chance(p)) s[k] = v();
  };
  maybe(0.2, 'name', () => `${target}-svc`);
  // No TCP port name: on Istio a TCP port refuses the HTTP-only fields this block and the analysis set (InvalidSpec).
  maybe(0.3, 'portName', () => rng.pick(['http', 'grpc', 'http-web']));
  maybe(0.3, 'targetPort', () => rng.pick<number | string>([9898, 'http', 8080]));
  maybe(0.15, 'appProtocol', () => rng.pick(['http', 'grpc']));
  maybe(0.15, 'portDiscovery', () => rng.chance(0.5));
  maybe(0.25, 'timeout', () => rng.pick(['30s', '5s', '1m']));
  maybe(0.2, 'retries', () => ({
    attempts: rng.int(1, 5),
    perTryTimeout: rng.pick(['1s', '500ms']),
    retryOn: 'gateway-error,connect-failure,refused-stream',
  }));
  maybe(0.2, 'headers', () => ({
    request: { add: { 'x-some-header': 'value' } },
    response: { remove: ['x-envoy-upstream-service-time'] },
  }));
  maybe(0.15, 'corsPolicy', () => ({
    allowOrigins: [{ exact: 'https://example.com' }],
    allowMethods: ['GET', 'POST'],
    allowCredentials: false,
    allowHeaders: ['x-some-header'],
    maxAge: '24h',
  }));
  maybe(0.2, 'trafficPolicy', () =>
    rng.pick([
      { tls: { mode: 'DISABLE' } },
      { loadBalancer: { simple: 'LEAST_CONN' } },
      { connectionPool: { http: { http1MaxPendingRequests: 1024 } } },
      { outlierDetection: { consecutive5xxErrors: 5, interval: '30s', baseEjectionTime: '30s' } },
    ]),
  );
  if (rng.chance(0.08)) s.delegation = true;
  else {
    maybe(0.2, 'gateways', () => rng.pick([['mesh'], ['public-gateway.istio-system.svc.cluster.local', 'mesh']]));
    maybe(0.2, 'hosts', () => [rng.pick(['app.example.com', `${target}.example.com`])]);
  }
  maybe(0.15, 'match', () => [{ uri: { prefix: '/' } }]);
  maybe(0.1, 'rewrite', () => ({ uri: '/' }));
  for (const role of ['apex', 'primary', 'canary']) {
    maybe(0.12, role, () => ({ labels: { team: 'fuzz' }, annotations: { 'example.com/owner': 'fuzz' } }));
  }
  if (rng.chance(0.6))
    s.apex = {
      ...(s.apex as JsonObject | undefined),
      annotations: { ...(s.apex as { annotations?: JsonObject } | undefined)?.annotations, 'sim.tollgate.dev/rps': '0' },
    };
  return s;
}

const TEMPLATE_REFS = [
  { name: 'success-rate', interval: '1m', thresholdRange: { min: 99 }, templateRef: { name: 'success-rate' } },
  { name: 'latency', interval: '30s', thresholdRange: { max: 500 }, templateRef: { name: 'latency' }, templateVariables: { tier: 'web' } },
];

// eslint-disable-next-line complexity -- over the limit when the lint gate came in; split it when it next changes
function analysisBlock(rng: Rng, provider: string): JsonObject {
  const a: JsonObject = { interval: validDuration(rng, true), threshold: rng.int(1, 10) };
  const strategies = ['weight', 'weights', 'steps', 'blue-green', ...(provider === 'istio' ? ['ab', 'mirror'] : [])];
  switch (rng.pick(strategies)) {
    case 'weight':
    case 'mirror': {
      const step = rng.int(1, 50);
      a.stepWeight = step;
      if (rng.chance(0.7)) a.maxWeight = rng.int(step, 100);
      break;
    }
    case 'weights':
      a.stepWeights = rng.ascending(rng.int(1, 5), 1, 100);
      break;
    case 'steps':
      a.steps = rng
        .ascending(rng.int(1, 4), 1, 100)
        .map((weight) => (rng.chance(0.5) ? { weight, pause: validDuration(rng, false) } : { weight }));
      break;
    case 'blue-green':
      a.iterations = rng.int(1, 20);
      break;
    case 'ab':
      a.iterations = rng.int(1, 10);
      a.match = [
        rng.pick([{ headers: { 'x-canary': { exact: 'insider' } } }, { headers: { cookie: { regex: '^(.*?;)?(canary=always)(;.*)?$' } } }]),
      ];
      break;
  }
  if (a.stepWeight !== undefined && provider === 'istio' && rng.chance(0.3)) {
    a.mirror = true;
    if (rng.chance(0.5)) a.mirrorWeight = rng.int(0, 100);
  }
  if (a.stepWeight !== undefined && provider === 'istio' && !a.mirror && rng.chance(0.15)) {
    a.sessionAffinity = {
      cookieName: 'flagger-cookie',
      maxAge: rng.pick([0, 60, 21600]),
      ...(rng.chance(0.5) ? { primaryCookieName: 'flagger-primary-cookie' } : {}),
    };
  }
  if (rng.chance(0.15)) a.stepWeightPromotion = rng.int(0, 100);
  if (rng.chance(0.15)) a.primaryReadyThreshold = rng.int(0, 100);
  if (rng.chance(0.15)) a.canaryReadyThreshold = rng.int(0, 100);
  const metrics: unknown[] = [];
  if (rng.chance(0.7))
    metrics.push({
      name: 'request-success-rate',
      interval: rng.pick(['1m', '30s', '10s']),
      thresholdRange: { min: rng.pick([99, 95, 99.9]) },
    });
  if (rng.chance(0.5)) metrics.push({ name: 'request-duration', interval: '1m', thresholdRange: { max: rng.pick([500, 1000, 250.5]) } });
  if (rng.chance(0.1)) metrics.push({ name: 'request-success-rate', threshold: 99, interval: '1m' });
  if (rng.chance(0.25)) metrics.push(rng.pick(TEMPLATE_REFS));
  if (rng.chance(0.1)) metrics.push({ name: 'inline', query: 'sum(rate(istio_requests_total[1m]))', thresholdRange: { min: 0 } });
  if (metrics.length) a.metrics = metrics;
  if (rng.chance(0.3)) {
    a.webhooks = rng
      .shuffle([
        {
          name: 'load-test',
          type: 'rollout',
          url: 'http://127.0.0.1:9/',
          timeout: '5s',
          metadata: { cmd: 'hey -z 1m -q 10 -c 2 http://podinfo-canary:9898/' },
        },
        { name: 'smoke', type: 'pre-rollout', url: 'http://127.0.0.1:9/smoke', retries: 3 },
        { name: 'gate', type: 'confirm-promotion', url: 'https://127.0.0.1:9/gate/check', disableTLS: true },
        { name: 'notify', type: 'post-rollout', url: 'http://127.0.0.1:9/done', muteAlert: true },
        { name: 'traffic', type: 'confirm-traffic-increase', url: 'http://127.0.0.1:9/traffic' },
        { name: 'rollback', type: 'rollback', url: 'http://127.0.0.1:9/rollback' },
      ])
      .slice(0, rng.int(1, 3));
  }
  if (rng.chance(0.1))
    a.alerts = [{ name: 'on-call', severity: rng.pick(['info', 'warn', 'error']), providerRef: { name: 'on-call-slack' } }];
  return a;
}

// ---------------------------------------------------------------------------------------------------------
// Mistakes only the operator can see

interface Semantic {
  name: string;
  reason: 'InvalidSpec' | 'Unsupported' | 'TargetNotFound' | 'TargetInvalid';
  fragment: (ns: string, target: string) => RegExp;
  apply: (spec: JsonObject, rng: Rng) => void;
}

const analysisIn = (spec: JsonObject): JsonObject => (spec.analysis ?? spec.canaryAnalysis) as JsonObject;
const strategyFree = (a: JsonObject): void => {
  for (const k of ['stepWeight', 'stepWeights', 'steps', 'iterations', 'match', 'mirror', 'mirrorWeight', 'maxWeight']) delete a[k];
};
const onIstio = (spec: JsonObject): void => {
  spec.provider = 'istio';
};

const SEMANTICS: readonly Semantic[] = [
  {
    name: 'stepWeights not ascending',
    reason: 'InvalidSpec',
    fragment: () => /stepWeights must be strictly ascending/,
    apply: (spec, rng) => {
      const a = analysisIn(spec);
      strategyFree(a);
      a.stepWeights = rng.pick([
        [30, 20],
        [10, 10],
        [5, 50, 40],
        [100, 0],
      ]);
    },
  },
  {
    name: 'steps not ascending',
    reason: 'InvalidSpec',
    fragment: () => /steps must have strictly ascending weights/,
    apply: (spec) => {
      const a = analysisIn(spec);
      strategyFree(a);
      a.steps = [{ weight: 50, pause: '1m' }, { weight: 20 }];
    },
  },
  {
    name: 'thresholdRange min above max',
    reason: 'InvalidSpec',
    fragment: () => /thresholdRange: thresholdRange min must not exceed max/,
    apply: (spec) => {
      const a = analysisIn(spec);
      a.metrics = [...((a.metrics as unknown[] | undefined) ?? []), { name: 'request-success-rate', thresholdRange: { min: 99, max: 1 } }];
    },
  },
  {
    name: 'custom metric without query',
    reason: 'InvalidSpec',
    fragment: () => /metrics\[\d+\]: a metric other than request-success-rate and request-duration needs templateRef or query/,
    apply: (spec) => {
      const a = analysisIn(spec);
      a.metrics = [{ name: 'error-budget', thresholdRange: { min: 1 } }];
    },
  },
  {
    name: 'webhook URL not http',
    reason: 'InvalidSpec',
    fragment: () => /webhooks\[0\]: url must start with http:\/\/ or https:\/\//,
    apply: (spec, rng) => {
      analysisIn(spec).webhooks = [
        {
          name: 'hook',
          type: 'pre-rollout',
          url: rng.pick(['ftp://example.com/x', 'file:///etc/passwd', 'javascript:alert(1)', 'gopher://x']),
        },
      ];
    },
  },
  {
    name: 'webhook URL invalid',
    reason: 'InvalidSpec',
    fragment: () => /webhooks\[0\]\.url is not a valid URL/,
    apply: (spec, rng) => {
      analysisIn(spec).webhooks = [
        { name: 'hook', url: rng.pick(['http://[bad', 'https://exa mple.com/', 'http://:80/', 'https://x:99999/', 'http://']) },
      ];
    },
  },
  {
    name: 'no way to move traffic',
    reason: 'InvalidSpec',
    fragment: () => /needs stepWeight, stepWeights, steps or iterations/,
    apply: (spec) => {
      onIstio(spec);
      delete spec.skipAnalysis;
      strategyFree(analysisIn(spec));
    },
  },
  {
    name: 'mirror with A/B testing',
    reason: 'InvalidSpec',
    fragment: () => /mirror cannot be combined with match \(A\/B testing\)/,
    apply: (spec) => {
      onIstio(spec);
      const a = analysisIn(spec);
      strategyFree(a);
      Object.assign(a, { iterations: 5, mirror: true, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] });
    },
  },
  {
    name: 'match without iterations',
    reason: 'InvalidSpec',
    fragment: () => /match \(A\/B testing\) needs iterations/,
    apply: (spec) => {
      onIstio(spec);
      const a = analysisIn(spec);
      strategyFree(a);
      Object.assign(a, { stepWeight: 10, match: [{ headers: { 'x-canary': { exact: 'insider' } } }] });
    },
  },
  {
    name: 'Deployment apiVersion not apps/v1',
    reason: 'InvalidSpec',
    fragment: () => /targetRef\.apiVersion must be apps\/v1 for a Deployment/,
    apply: (spec, rng) => {
      (spec.targetRef as JsonObject).apiVersion = rng.pick(['apps/v1beta1', 'extensions/v1beta1', 'apps/v1beta2']);
    },
  },
  {
    name: 'autoscaler for a DaemonSet',
    reason: 'InvalidSpec',
    fragment: () => /autoscalerRef cannot apply to a DaemonSet/,
    apply: (spec) => {
      (spec.targetRef as JsonObject).kind = 'DaemonSet';
      spec.autoscalerRef = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: 'hpa' };
    },
  },
  {
    name: 'target kind not driven yet',
    reason: 'Unsupported',
    fragment: () => /targetRef\.kind Service is not supported yet/,
    apply: (spec) => {
      (spec.targetRef as JsonObject).kind = 'Service';
      (spec.targetRef as JsonObject).apiVersion = 'v1';
    },
  },
  {
    name: 'session affinity on the kubernetes provider',
    reason: 'InvalidSpec',
    fragment: () => /analysis\.sessionAffinity is not possible with this provider/,
    apply: (spec) => {
      spec.provider = 'kubernetes';
      analysisIn(spec).sessionAffinity = { cookieName: 'flagger-cookie', maxAge: 21600 };
    },
  },
  {
    name: 'session affinity with one cookie for both sides',
    reason: 'InvalidSpec',
    fragment: () => /primaryCookieName must differ from cookieName/,
    apply: (spec) => {
      onIstio(spec);
      analysisIn(spec).sessionAffinity = { cookieName: 'same', primaryCookieName: 'same' };
    },
  },
  {
    // Semantic cases name a target that does not exist, which is reported before the autoscaler (a missing
    // ScaledObject on a present target is TargetInvalid: unit tests and targets e2e).
    name: 'KEDA ScaledObject on a target that does not exist',
    reason: 'TargetNotFound',
    fragment: (ns, target) => new RegExp(`Deployment ${ns}/${target} not found`),
    apply: (spec) => {
      spec.autoscalerRef = { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', name: 'so', primaryScalerQueries: { q: 'sum(up)' } };
    },
  },
  {
    name: 'mirror on the kubernetes provider',
    reason: 'InvalidSpec',
    fragment: () => /analysis\.mirror is not possible with this provider/,
    apply: (spec) => {
      spec.provider = 'kubernetes';
      const a = analysisIn(spec);
      strategyFree(a);
      Object.assign(a, { stepWeight: 10, mirror: true });
    },
  },
  {
    name: 'target missing',
    reason: 'TargetNotFound',
    fragment: (ns, target) => new RegExp(`Deployment ${ns}/${target} not found`),
    apply: () => undefined,
  },
  {
    name: 'target missing, with a 600000-character name',
    reason: 'TargetNotFound',
    fragment: (ns) => new RegExp(`Deployment ${ns}/xxxxxxxxxx`),
    apply: (spec) => {
      (spec.targetRef as JsonObject).name = 'x'.repeat(600_000);
    },
  },
  {
    name: 'DaemonSet target missing',
    reason: 'TargetNotFound',
    fragment: (ns, target) => new RegExp(`DaemonSet ${ns}/${target} not found`),
    apply: (spec) => {
      (spec.targetRef as JsonObject).kind = 'DaemonSet';
    },
  },
];

function semanticMutation(rng: Rng, spec: JsonObject, ns: string, target: string, mutations: string[]): Outcome {
  const m = rng.pick(SEMANTICS);
  // The base must be otherwise clean for the operator: a provider it drives, with built-in queries.
  if (!['istio', 'kubernetes', ''].includes(String(spec.provider ?? ''))) spec.provider = 'istio';
  if (m.reason !== 'TargetNotFound' || rng.chance(0.5)) delete (spec.targetRef as JsonObject).apiVersion;
  m.apply(spec, rng);
  mutations.push(m.name);
  return { kind: 'blocked', reason: m.reason, fragments: [m.fragment(ns, target)] };
}

// ---------------------------------------------------------------------------------------------------------
// Values and paths

// eslint-disable-next-line complexity -- over the limit when the lint gate came in; split it when it next changes
function invalidValue(rng: Rng, s: SchemaNode): unknown {
  if (s['x-kubernetes-int-or-string']) return rng.pick<unknown>([1.5, true, {}, [], new RawNumber('9223372036854775808'), ['http']]);
  const wrongType = (): unknown =>
    rng.pick<unknown>(
      s.type === 'string'
        ? [5, true, {}, [], ['a'], 0.5]
        : s.type === 'integer'
          ? ['5', 1.5, true, {}, [], new RawNumber('9223372036854775808'), new RawNumber('1e21'), new RawNumber('0.5')]
          : s.type === 'number'
            ? ['99', true, [], {}, 'NaN']
            : s.type === 'boolean'
              ? ['true', 1, 0, 'yes', [true]]
              : s.type === 'array'
                ? [{}, 'a,b', 3, [null], true]
                : ['x', 42, [], true, [{}]],
    );
  if (s.enum && rng.chance(0.7))
    return rng.chance(0.6)
      ? offByCase(rng, String(rng.pick(s.enum.filter((e) => e !== ''))))
      : rng.pick(['haproxy', 'Deployment ', 'none', 'ALL', 'ingress']);
  if (s.pattern && rng.chance(0.7)) return rng.pick(BAD_DURATIONS);
  if (s.minLength && rng.chance(0.4)) return '';
  if ((s.minimum !== undefined || s.maximum !== undefined) && rng.chance(0.7)) {
    return rng.pick<unknown>([
      ...(s.minimum !== undefined ? [s.minimum - 1, s.minimum - 1000, new RawNumber('-9223372036854775808')] : []),
      ...(s.maximum !== undefined ? [s.maximum + 1, 2 ** 31, new RawNumber('9223372036854775807')] : []),
    ]);
  }
  if (s.maxItems !== undefined && s.items && rng.chance(0.5))
    return Array.from({ length: s.maxItems + rng.int(1, 3) }, () => validValue(rng, s.items!));
  if (s.type === 'object' && s.required?.length && rng.chance(0.5)) {
    const v = validValue(rng, s) as JsonObject;
    delete v[rng.pick(s.required)];
    return v;
  }
  return wrongType();
}

/** Every path present in the value (field names and list indices), to a depth. */
function existingPaths(v: unknown, prefix: (string | number)[], depth = 8): (string | number)[][] {
  const out: (string | number)[][] = v === undefined ? [] : [prefix];
  const walk = (x: unknown, p: (string | number)[], d: number): void => {
    if (d <= 0) return;
    if (Array.isArray(x))
      x.forEach((item, i) => {
        out.push([...p, i]);
        walk(item, [...p, i], d - 1);
      });
    else if (isObject(x))
      for (const k of Object.keys(x)) {
        out.push([...p, k]);
        walk(x[k], [...p, k], d - 1);
      }
  };
  walk(v, prefix, depth);
  return out;
}

function get(root: unknown, p: readonly (string | number)[]): unknown {
  let cur: unknown = root;
  for (const seg of p) {
    if (cur instanceof DuplicateKey) cur = cur.last;
    if (Array.isArray(cur) && typeof seg === 'number') cur = cur[seg];
    else if (isObject(cur) && typeof seg === 'string' && Object.hasOwn(cur, seg)) cur = cur[seg];
    else return undefined;
  }
  return cur instanceof DuplicateKey ? cur.last : cur;
}

/** Sets the value at a path, creating valid containers on the way (so only the leaf is wrong). */
function set(root: JsonObject, p: readonly (string | number)[], value: unknown, holder: SchemaNode, rng: Rng): void {
  let cur: unknown = root;
  for (let i = 0; i < p.length - 1; i++) {
    const seg = p[i]!;
    const next = p[i + 1]!;
    const s = schemaAt(holder, p.slice(0, i + 1));
    let child = Array.isArray(cur) ? cur[seg as number] : (cur as JsonObject)[seg as string];
    if (child instanceof DuplicateKey) child = child.last;
    const wantList = typeof next === 'number';
    if (wantList ? !Array.isArray(child) : !isObject(child)) {
      child = s && (wantList ? s.type === 'array' : s.type === 'object') ? validValue(rng, s) : wantList ? [] : {};
      if (wantList ? !Array.isArray(child) : !isObject(child)) child = wantList ? [] : {};
    }
    if (wantList) {
      const list = child as unknown[];
      while (list.length <= (next as number)) list.push(s?.items ? validValue(rng, s.items) : {});
    }
    if (Array.isArray(cur)) cur[seg as number] = child;
    else setKey(cur as JsonObject, seg as string, child);
    cur = child;
  }
  const last = p[p.length - 1]!;
  if (Array.isArray(cur)) cur[typeof last === 'number' ? last : 0] = value;
  else setKey(cur as JsonObject, String(last), value);
}

function remove(root: JsonObject, p: readonly (string | number)[]): void {
  const parent = get(root, p.slice(0, -1));
  const last = p[p.length - 1]!;
  if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
  else if (isObject(parent)) delete parent[String(last)];
}

/** Adds an unknown member to the object at a dotted path (or its nearest object). */
function addUnknown(rng: Rng, root: JsonObject, at: string, holder?: SchemaNode): string {
  let p: (string | number)[] = at.split('.').filter(Boolean);
  let obj = get(root, p);
  while (!isObject(obj) && p.length > 0) {
    p = p.slice(0, -1);
    obj = get(root, p);
  }
  if (!isObject(obj)) return 'no object to add an unknown field to';
  const key = rng.chance(0.5)
    ? rng.pick(ODD_KEYS)
    : rng.pick(['replicas', 'canaryRef', 'weight', 'stepweight', 'Provider', 'analysis_', 'x-extra']);
  const s = holder && schemaAt(holder, p);
  if (s?.properties && Object.hasOwn(s.properties, key)) return `unknown field ${key} is a known one at ${pathText(p)}: skipped`;
  // Kept (not pruned) under x-kubernetes-preserve-unknown-fields, where the API server's cost grows exponentially with object depth.
  const kept = holder !== undefined && keptVerbatim(holder, p);
  const value = rng.chance(0.2) ? (kept ? nested(rng.int(10, 60), true) : nested(rng.int(10, 200), rng.chance(0.5))) : randomJson(rng, 3);
  setKey(obj, key, value);
  return `unknown field ${JSON.stringify(key)} under ${pathText(p)}`;
}

/** Whether the value at the path is kept verbatim: it is in or under an x-kubernetes-preserve-unknown-fields object. */
function keptVerbatim(holder: SchemaNode, p: readonly (string | number)[]): boolean {
  for (let i = 1; i <= p.length; i++) {
    const s = schemaAt(holder, p.slice(0, i));
    if (s?.['x-kubernetes-preserve-unknown-fields']) return true;
    if (!s) return false;
  }
  return false;
}

/** The same member written twice with the same value: the server must read it once. */
function sameTwice(root: JsonObject, p: string[]): string {
  const spec = root.spec as JsonObject;
  const v = get(spec, p);
  if (v === undefined) return `spec.${p.join('.')} absent: not duplicated`;
  setKey(spec, p[0]!, new DuplicateKey([clone(v), v]));
  return `spec.${p.join('.')} written twice with the same value`;
}

const pathText = (p: readonly (string | number)[]): string =>
  p.map((x, i) => (typeof x === 'number' ? `[${x}]` : i === 0 ? x : `.${x}`)).join('');
const describe = (s: SchemaNode | undefined): string =>
  s
    ? [s['x-kubernetes-int-or-string'] ? 'int-or-string' : s.type, s.enum ? 'enum' : '', s.pattern ? 'pattern' : '']
        .filter(Boolean)
        .join(' ')
    : 'unknown field';
const short = (v: unknown): string => {
  try {
    const t = serialize(v);
    return t.length > 60 ? `${t.slice(0, 60)}…(${t.length} chars)` : t;
  } catch {
    return String(v);
  }
};
