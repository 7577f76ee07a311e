import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '@tollgate/operator/api/types';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { isAlreadyExists, isConflict } from '@tollgate/operator/kube/errors';
import { Resources } from '@tollgate/operator/kube/resources';

type Json = Record<string, unknown>;

interface TrafficEntry {
  revisionName?: string;
  latestRevision?: boolean;
  percent?: number;
}

export interface Ksvc extends KubeObject {
  spec: {
    template: { metadata?: Json; spec: { containers: { image: string; env?: { name: string; value: string }[] }[] } };
    traffic?: TrafficEntry[];
  };
  status?: { latestCreatedRevisionName?: string; latestReadyRevisionName?: string; observedGeneration?: number; conditions?: Json[] };
}

/** A Knative Service of the sample app (podinfo's image, as Flagger's tutorial), with env as its template's. */
export function sampleKnativeService(ns: string, name: string, env: Record<string, string> = {}): Ksvc {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name, namespace: ns },
    spec: {
      template: {
        spec: {
          containers: [{ image: 'ghcr.io/stefanprodan/podinfo:6.0.0', env: Object.entries(env).map(([k, v]) => ({ name: k, value: v })) }],
        },
      },
    },
  };
}

/**
 * The share (percent) of each Revision in a Knative Service's spec.traffic, as Knative's route would send it:
 * entries naming the same Revision add up, and `latestRevision: true` is the latest ready one. Read from the object,
 * independently of the operator's code.
 */
export function revisionShares(svc: Ksvc): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of svc.spec.traffic ?? []) {
    const name = t.latestRevision ? svc.status?.latestReadyRevisionName : t.revisionName;
    if (name) out[name] = (out[name] ?? 0) + (t.percent ?? 0);
  }
  return out;
}

const ready = (): Json[] => [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString() }];

/**
 * Plays the Knative controller's part on a control plane where none runs (a stand-in, like e2e/src/sim for the
 * data plane): for each new spec.template of the Knative Service it creates the next Revision `<name>-0000N`
 * (labelled with its Service, as Knative does), Ready True, and writes the Service's status
 * (latestCreatedRevisionName, latestReadyRevisionName). Changes of spec.traffic alone make no Revision, as in
 * Knative. A failed write is retried on the next tick; the last error is kept for the test to report.
 */
export class KnativeStandIn {
  private timer: NodeJS.Timeout | undefined;
  private lastTemplate: unknown;
  private count = 0;
  private busy = false;
  lastError: unknown;

  constructor(
    private readonly kube: KubeClient,
    private readonly ns: string,
    private readonly name: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), 200);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const svc = await this.kube.get<Ksvc>(Resources.knativeServices, this.ns, this.name);
      if (!isDeepStrictEqual(svc.spec.template, this.lastTemplate)) await this.revise(svc);
    } catch (err) {
      if (!isConflict(err)) this.lastError = err;
    } finally {
      this.busy = false;
    }
  }

  private async revise(svc: Ksvc): Promise<void> {
    const revision = `${this.name}-${String(this.count + 1).padStart(5, '0')}`;
    const body = {
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Revision',
      metadata: {
        name: revision,
        namespace: this.ns,
        labels: { 'serving.knative.dev/service': this.name, 'serving.knative.dev/configuration': this.name },
      },
      spec: svc.spec.template.spec,
    } as KubeObject;
    // Created by an earlier tick whose Service status write lost a race: taken as it is.
    const rev = await this.kube
      .create<KubeObject & { status?: Json }>(Resources.knativeRevisions, body)
      .catch((err) =>
        isAlreadyExists(err) ? this.kube.get<KubeObject>(Resources.knativeRevisions, this.ns, revision) : Promise.reject(err),
      );
    await this.kube.replaceStatus(Resources.knativeRevisions, { ...rev, status: { observedGeneration: 1, conditions: ready() } });
    await this.kube.replaceStatus(Resources.knativeServices, {
      ...svc,
      status: {
        ...svc.status,
        observedGeneration: svc.metadata.generation,
        latestCreatedRevisionName: revision,
        latestReadyRevisionName: revision,
        conditions: ready(),
      },
    });
    this.count++;
    this.lastTemplate = svc.spec.template;
  }
}
