import type { Deployment } from '../../src/api/k8s.js';
import type { Canary, CanarySpec, CheckResult, CanaryWebhook } from '../../src/api/types.js';
import { ownerRefOf, type ControllerDeps } from '../../src/controller/deps.js';
import { Reconciler } from '../../src/controller/reconciler.js';
import type { EventSink } from '../../src/kube/events.js';
import { Resources } from '../../src/kube/resources.js';
import type { MetricAnalyzer } from '../../src/metrics/analyzer.js';
import { createRouter } from '../../src/meshes/registry.js';
import type { RouterDeps } from '../../src/meshes/router.js';
import { ServiceRouter } from '../../src/meshes/services.js';
import { createTargets } from '../../src/targets/index.js';
import { OperatorMetrics } from '../../src/telemetry/metrics.js';
import { silentLogger } from '../../src/util/log.js';
import type { WebhookPayload } from '@tollgate/contract/payload';
import type { WebhookAuth, WebhookResult, WebhookRunner } from '../../src/webhooks/runner.js';
import { KubeApiError } from '../../src/kube/errors.js';
import { FakeKube } from './fake-kube.js';

export const NS = 'test';

export function aDeployment(name = 'podinfo', env: Record<string, string> = { VERSION: 'v1' }): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'app:1',
              ports: [{ containerPort: 9898 }],
              env: Object.entries(env).map(([n, value]) => ({ name: n, value })),
            },
          ],
        },
      },
    },
  };
}

export function aCanary(analysis: CanarySpec['analysis'] = {}, spec: Partial<CanarySpec> = {}): Canary {
  return {
    apiVersion: 'tollgate.dev/v1beta1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: NS },
    spec: {
      provider: 'istio',
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: { port: 9898 },
      analysis: {
        interval: '10s',
        threshold: 2,
        stepWeight: 25,
        maxWeight: 50,
        metrics: [{ name: 'request-success-rate', thresholdRange: { min: 99 } }],
        ...analysis,
      },
      ...spec,
    },
  };
}

/**
 * A Canary controller over an in-memory API server with a hand-driven clock, in Flagger's fixture style:
 * tests call tick() once per analysis interval and play the kubelet with rollOut().
 */
export class World {
  readonly kube: FakeKube;
  /** Controllers the test plays besides the Deployment controller (rollOut), each run before a reconcile. */
  readonly players: (() => void)[] = [];
  readonly events: { type: string; reason: string; message: string }[] = [];
  /** Alerts the controller asked to send, in order. */
  readonly alerts: { reason: string; severity: string; message: string }[] = [];
  readonly hookCalls: { hook: string; payload: WebhookPayload; auth?: WebhookAuth }[] = [];
  /** Secrets by name, for webhook secretRefs. */
  secretData: Record<string, Record<string, string>> = {};
  checks: CheckResult[] = [{ name: 'request-success-rate', ok: true, value: 100, min: 99 }];
  /** What the statistical judge answers (undefined: the Canary has none). */
  judgement: Awaited<ReturnType<MetricAnalyzer['judge']>> = undefined;
  /** What the SLO gate answers (undefined: the Canary has none), and the windows it was asked for. */
  sloAnswer: Awaited<ReturnType<MetricAnalyzer['slo']>> = undefined;
  sloCalls: Parameters<MetricAnalyzer['slo']>[1][] = [];
  hookResults: Record<string, WebhookResult> = {};
  now = Date.parse('2026-01-01T00:00:00Z');
  /** Deployments whose pods never become available in rollOut() (their pods are the test's to put). */
  readonly unavailable = new Set<string>();
  /** Deployments whose rollout rollOut() leaves at this many available replicas (a rollout under way). */
  readonly available = new Map<string, number>();
  readonly reconciler: Reconciler;
  readonly deps: ControllerDeps;

  /**
   * metrics: the operator's metrics (for example with the Flagger-compatible ones); fresh defaults otherwise.
   * kube: the API server's store, to start a fresh controller on the state another left (a restart).
   * eventsPerStep: an Event at every weight step (--events-per-step).
   */
  constructor(opts: { metrics?: OperatorMetrics; kube?: FakeKube; eventsPerStep?: boolean } = {}) {
    this.kube = opts.kube ?? new FakeKube();
    const client = this.kube.client();
    const informers = this.kube.registry();
    const logger = silentLogger();
    const routerDeps: RouterDeps = { client, informers, ownerRef: ownerRefOf, logger };
    const events: EventSink = { record: (_o, type, reason, message) => void this.events.push({ type, reason, message }) };
    const webhooks: WebhookRunner = {
      call: async (hook: CanaryWebhook, payload: WebhookPayload, _signal: AbortSignal, auth?: WebhookAuth) => {
        this.hookCalls.push({ hook: hook.name, payload, ...(auth ? { auth } : {}) });
        return this.hookResults[hook.name] ?? { ok: true, status: 200 };
      },
    };
    this.kube.onPut.push((r, obj) => {
      if (r === Resources.canaries) this.deps.releaseQueue?.observe(obj as Canary);
    });
    this.deps = {
      client,
      informers,
      canaries: this.kube.lister(Resources.canaries),
      events,
      logger,
      webhooks,
      targets: createTargets({
        client,
        informers,
        deployments: this.kube.lister(Resources.deployments),
        daemonSets: this.kube.lister(Resources.daemonSets),
        statefulSets: this.kube.lister(Resources.statefulSets),
        pods: this.kube.lister(Resources.pods),
        selectorLabels: ['app', 'name'],
        ownerRef: ownerRefOf,
        fieldManager: 'test',
        configTracking: true,
        tracksSecretsIn: () => true,
        defaultProvider: 'istio',
      }),
      routerFor: (p) => createRouter(p, routerDeps),
      services: new ServiceRouter(routerDeps),
      analyzer: {
        check: async () => this.checks,
        judge: async () => this.judgement,
        slo: async (_c: unknown, gate: Parameters<MetricAnalyzer['slo']>[1]) => {
          this.sloCalls.push(gate);
          return this.sloAnswer;
        },
      } as unknown as MetricAnalyzer,
      secrets: {
        read: async (_ns: string, name: string) => {
          const data = this.secretData[name];
          if (!data) throw new KubeApiError(404, 'NotFound', `secrets "${name}" not found`, 'GET', 'secrets');
          return data;
        },
      },
      alerts: {
        notify: async (_c, n) => {
          this.alerts.push({ reason: n.reason, severity: n.severity, message: n.message });
          return { results: [], sent: 0, failed: 0 };
        },
      },
      metrics: opts.metrics ?? new OperatorMetrics(),
      defaultProvider: 'istio',
      fieldManager: 'test',
      now: () => this.now,
      reconcileDeadlineMs: 60_000,
      eventsPerStep: opts.eventsPerStep ?? false,
    };
    this.reconciler = new Reconciler(this.deps);
  }

  apply(d: Deployment, c: Canary): this {
    this.kube.put(Resources.deployments, d);
    this.kube.put(Resources.canaries, c);
    return this;
  }

  get canary(): Canary {
    return this.kube.get<Canary>(Resources.canaries, NS, 'podinfo')!;
  }

  deployment(name: string): Deployment | undefined {
    return this.kube.get<Deployment>(Resources.deployments, NS, name);
  }

  /** Plays the deployment controller and kubelet: every Deployment's rollout completes. */
  rollOut(): void {
    for (const play of this.players) play();
    for (const d of this.kube.lister<Deployment>(Resources.deployments).list(NS)) {
      const n = d.spec.replicas ?? 1;
      const up = this.unavailable.has(d.metadata.name!) ? 0 : Math.min(n, this.available.get(d.metadata.name!) ?? n);
      this.kube.put(Resources.deployments, {
        ...d,
        status: { observedGeneration: d.metadata.generation, replicas: n, updatedReplicas: n, readyReplicas: up, availableReplicas: up },
      });
    }
  }

  /** One reconcile at the current time (after a roll-out, like the informer events that would follow). */
  async reconcile(): Promise<number | undefined> {
    this.rollOut();
    const r = await this.reconciler.reconcile(`${NS}/podinfo`, new AbortController().signal);
    return r.requeueAfterMs;
  }

  /** Advances the clock by ms, then reconciles until nothing is left to do at that time. */
  async tick(ms = 10_000): Promise<void> {
    this.now += ms;
    for (let i = 0; i < 10; i++) {
      const rv = this.canary.metadata.resourceVersion;
      const next = await this.reconcile();
      if (this.canary.metadata.resourceVersion === rv && next !== 0) return;
    }
  }

  /** The canary weight in the VirtualService's weighted rule. */
  vsWeight(): number | undefined {
    const vs = this.kube.get<{ spec: { http: { route: { destination: { host: string }; weight: number }[] }[] } } & Canary>(
      Resources.virtualServices,
      NS,
      'podinfo',
    );
    return vs?.spec.http[0]?.route.find((r) => r.destination.host === 'podinfo-canary')?.weight;
  }

  newRevision(env: Record<string, string>): void {
    const d = this.deployment('podinfo')!;
    d.spec.template.spec.containers[0]!.env = Object.entries(env).map(([name, value]) => ({ name, value }));
    this.kube.put(Resources.deployments, d);
  }
}
