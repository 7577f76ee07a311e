import type { Canary } from '@tollgate/operator/api/types';
import { Resources } from '@tollgate/operator/kube/resources';
import { acknowledged, ANNOTATIONS, checkRequest, phaseOf, runInProgress, type RequestKind } from '../canary.js';
import type { Context } from '../context.js';
import { CliError, EXIT, isConflict } from '../errors.js';
import { summaryLine } from '../format.js';
import { getCanary } from '../kube.js';

export interface RequestOptions {
  name: string;
  /** Record the request even when it makes no sense in the current phase. */
  force: boolean;
  /** Wait (briefly) until the operator acts on it. */
  wait: boolean;
}

/** How long to wait for the operator's acknowledgement, and how often to look. */
const ACK_TIMEOUT_MS = 15_000;
const ACK_POLL_MS = 500;

const ANNOTATION: Record<RequestKind, string> = {
  promote: ANNOTATIONS.promote,
  abort: ANNOTATIONS.abort,
  retry: ANNOTATIONS.retry,
  pause: ANNOTATIONS.paused,
  resume: ANNOTATIONS.paused,
};

const WHAT: Record<RequestKind, string> = {
  promote: 'promotion of the revision under analysis, skipping the remaining steps',
  abort: 'abort of the run: the canary is rolled back',
  retry: 'a new analysis of the failed revision',
  pause: 'pause: the analysis holds at the current weight',
  resume: 'resume of the analysis',
};

/** What a forced request does when the operator cannot act on it now. */
const FORCED_LATER: Record<RequestKind, string> = {
  promote: 'it stays pending: the next run will be promoted as soon as it starts',
  abort: 'it stays pending: the next run will be aborted as soon as it starts',
  retry: 'it stays pending: the next time this revision fails, it will be analysed again at once',
  pause: '',
  resume: '',
};

/** The annotation value: a fresh one-shot value (the current time), or "true"/"false" for paused. */
export function requestValue(kind: RequestKind, c: Canary, now: number): string {
  if (kind === 'pause') return 'true';
  if (kind === 'resume') return 'false';
  const taken = new Set([c.metadata.annotations?.[ANNOTATION[kind]], c.status?.handledRequests?.[kind]]);
  const base = new Date(now).toISOString();
  let value = base;
  for (let i = 1; taken.has(value); i++) value = `${base}-${i}`;
  return value;
}

/**
 * The merge patch that records a request: one annotation, guarded by the resourceVersion the phase was checked
 * on (so a run that ends in between is checked again), unless forced.
 */
export function requestPatch(kind: RequestKind, value: string, resourceVersion: string | undefined): { metadata: Record<string, unknown> } {
  return { metadata: { annotations: { [ANNOTATION[kind]]: value }, ...(resourceVersion ? { resourceVersion } : {}) } };
}

/** tollgate promote|abort|retry|pause|resume NAME. */
export async function request(ctx: Context, kind: RequestKind, o: RequestOptions): Promise<number> {
  const { io, kube, namespace } = ctx;
  const who = `${namespace}/${o.name}`;
  let canary: Canary | undefined;
  let value = '';
  let refusal: string | undefined;
  let note: string | undefined;
  for (let attempt = 0; !canary; attempt++) {
    const c = await getCanary(kube, namespace, o.name, ctx.signal);
    const check = checkRequest(kind, c);
    if (check.verdict === 'noop') {
      io.stdout(`${check.why}: nothing to do`);
      return EXIT.OK;
    }
    if (check.verdict === 'refuse') {
      if (!o.force) {
        io.stderr(`refused: ${check.why}.`);
        io.stderr(`To record the request anyway, add --force (${ANNOTATION[kind]} is read when a run is in progress).`);
        return EXIT.FAILED;
      }
      refusal = check.why;
    } else note = check.note;
    value = requestValue(kind, c, io.now());
    try {
      await kube.patch(Resources.canaries, namespace, o.name, requestPatch(kind, value, o.force ? undefined : c.metadata.resourceVersion), {
        type: 'merge',
        signal: ctx.signal,
      });
      canary = c;
    } catch (err) {
      if (!isConflict(err)) throw err;
      if (attempt >= 4) throw new CliError(`${who} keeps changing; try again`);
    }
  }
  io.stdout(`Requested for ${who}: ${WHAT[kind]} (${ANNOTATION[kind]}=${value}).`);
  if (refusal) {
    io.stdout(`Warning: ${refusal}; recorded anyway (--force)${FORCED_LATER[kind] ? `: ${FORCED_LATER[kind]}` : ''}.`);
    return EXIT.OK;
  }
  if (note) {
    io.stdout(`Note: ${note}.`);
    return EXIT.OK;
  }
  if (kind === 'resume' && !runInProgress(canary)) return EXIT.OK;
  if (!o.wait) return EXIT.OK;
  const deadline = io.now() + ACK_TIMEOUT_MS;
  while (io.now() < deadline && !ctx.signal.aborted) {
    await io.sleep(ACK_POLL_MS, ctx.signal);
    const c = ctx.cache?.get(namespace, o.name) ?? (await getCanary(kube, namespace, o.name, ctx.signal));
    if (acknowledged(kind, c, value)) {
      io.stdout(`Acknowledged by the operator: ${who} is ${summaryLine(c)}`);
      return EXIT.OK;
    }
  }
  io.stdout(
    `Not acknowledged within ${ACK_TIMEOUT_MS / 1000}s: the request is recorded and will apply on the next reconcile of ${who} (now ${phaseOf(canary)}).`,
  );
  return EXIT.OK;
}
