import type { Canary } from '@tollgate/operator/api/types';
import type { Workload } from '@tollgate/operator/api/k8s';
import type { KubeClient } from '@tollgate/operator/kube/client';
import { templateRevision } from '@tollgate/operator/targets/deployment-spec';
import { DAEMONSET, DEPLOYMENT, type WorkloadKind } from '@tollgate/operator/targets/workload-kinds';
import { decideWait, phaseOf, type WaitDecision } from '../canary.js';
import type { Context } from '../context.js';
import { EXIT } from '../errors.js';
import { ticking } from '../feed.js';
import { humanDuration, offset, summaryLine } from '../format.js';
import type { Io } from '../io.js';
import { getCanary } from '../kube.js';

export const WAIT_FOR = ['promoted'] as const;

/** How long Stalled=True must last before it counts as a failure: the operator clears some stalls by itself. */
const STALL_GRACE_MS = 10_000;
/** How often the decision is taken again while the Canary does not change. */
const TICK_MS = 1000;

export interface WaitOptions {
  name: string;
  timeoutMs: number;
  for: (typeof WAIT_FOR)[number];
}

const KINDS: Record<string, WorkloadKind<Workload>> = {
  Deployment: DEPLOYMENT as unknown as WorkloadKind<Workload>,
  DaemonSet: DAEMONSET as unknown as WorkloadKind<Workload>,
};

/**
 * The revision of the Canary's target as the operator computes it (pod template, and the tracked configs' checksums
 * the status shows), for the kinds it releases; undefined when it cannot be known (other kinds, no access).
 */
async function targetRevision(kube: KubeClient, c: Canary, signal?: AbortSignal): Promise<{ revision: string; label: string } | undefined> {
  const ref = c.spec.targetRef;
  const kind = KINDS[ref.kind];
  if (!kind || (ref.apiVersion && ref.apiVersion !== 'apps/v1')) return undefined;
  try {
    const w = await kube.get<Workload>(kind.resource, c.metadata.namespace, ref.name, signal);
    return { revision: templateRevision(kind.revisionTemplate(w), c.status?.trackedConfigs ?? {}), label: `${ref.kind}/${ref.name}` };
  } catch {
    return undefined;
  }
}

/**
 * Decides as decideWait, reading the target's current revision only when the status alone looks final, and
 * turning a stall into a failure once it has lasted STALL_GRACE_MS.
 */
export class Judge {
  private stalledSince: number | undefined;

  constructor(
    private readonly kube: KubeClient,
    private readonly io: Io,
  ) {}

  async decide(c: Canary, signal?: AbortSignal): Promise<Exclude<WaitDecision, { state: 'stalled' }>> {
    let d = decideWait(c);
    if (d.state !== 'pending') {
      const target = await targetRevision(this.kube, c, signal);
      if (target) d = decideWait(c, { targetRevision: target.revision, target: target.label });
    }
    if (d.state !== 'stalled') {
      this.stalledSince = undefined;
      return d;
    }
    this.stalledSince ??= Math.min(this.io.now(), d.since);
    const left = STALL_GRACE_MS - (this.io.now() - this.stalledSince);
    if (left <= 0) return { state: 'failed', reason: d.reason, message: d.message };
    return {
      state: 'pending',
      phase: d.phase,
      detail: `stalled (${d.reason}): ${d.message}; failing in ${Math.ceil(left / 1000)}s unless the operator recovers`,
    };
  }
}

/**
 * tollgate wait NAME: one line per change, then exit 0 when the current revision is promoted, 1 when the run
 * failed or the Canary is stalled, 2 on timeout; 3 (thrown) on connection errors.
 */
export async function wait(ctx: Context, o: WaitOptions): Promise<number> {
  const { io, namespace } = ctx;
  const started = io.now();
  const who = `${namespace}/${o.name}`;
  let canary = await getCanary(ctx.kube, namespace, o.name, ctx.signal);
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  let timedOut = false;
  void io.sleep(o.timeoutMs, signal).then(() => {
    if (!signal.aborted) {
      timedOut = true;
      stop.abort();
    }
  });
  const judge = new Judge(ctx.kube, io);
  let last = '';
  let pending = '';
  try {
    const feed = ctx.feed({ kube: ctx.kube, io, namespace, name: o.name, events: false, signal });
    for await (const snap of ticking(feed, io, TICK_MS, signal)) {
      if (!snap.canary) {
        io.stdout(`${offset(io.now() - started)}  ${who} was deleted`);
        return EXIT.ERROR;
      }
      canary = snap.canary;
      const d = await judge.decide(canary, signal);
      pending = d.state === 'pending' ? d.detail : '';
      const waiting = d.state === 'pending' && (d.detail.startsWith('the operator has not') || d.detail.startsWith('stalled'));
      const line = waiting ? `${phaseOf(canary)}: ${d.detail.replace(/; failing in \d+s/, '; failing soon')}` : summaryLine(canary);
      if (line !== last) io.stdout(`${offset(io.now() - started)}  ${who}  ${line}`);
      last = line;
      if (d.state === 'promoted') {
        io.stdout(`${who} is promoted: revision ${canary.status?.lastPromotedSpec} (${d.message})`);
        return EXIT.OK;
      }
      if (d.state === 'failed') {
        io.stdout(`${who} failed: ${d.reason}: ${d.message}`);
        return EXIT.FAILED;
      }
    }
  } finally {
    stop.abort();
  }
  if (timedOut) {
    io.stdout(`timed out after ${humanDuration(o.timeoutMs)}: ${who} is ${phaseOf(canary)}${pending ? ` (${pending})` : ''}`);
    return EXIT.TIMEOUT;
  }
  io.stderr(`interrupted: ${who} is ${phaseOf(canary)}`);
  return EXIT.INTERRUPTED;
}
