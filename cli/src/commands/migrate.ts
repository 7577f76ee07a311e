import { ANNOTATIONS, FLAGGER } from '@tollgate/contract/metadata';
import type { Canary } from '@tollgate/operator/api/types';
import { Resources, type ResourceType } from '@tollgate/operator/kube/resources';
import type { Context } from '../context.js';
import { getCanary } from '../kube.js';
import { CliError, EXIT, isConflict, isForbidden, isNotFound, isNotServed } from '../errors.js';
import {
  FLAGGER_SELECTORS,
  flaggerManifest,
  flaggerVerdict,
  phaseRefusal,
  takeoverCanary,
  type FlaggerScan,
  type FlaggerVerdict,
  type Workload,
} from '../migrate/flagger-plan.js';

export interface MigrateOptions {
  /** The flagger.app Canary to take over (in the context's namespace). */
  name: string;
  /** Print the plan and the converted Canary; change nothing. */
  dryRun: boolean;
  /** Go on when the conversion drops fields. */
  allowDropped: boolean;
  /** How long to wait for the operator's takeover, and for the deletion of Flagger's Canary. */
  timeoutMs: number;
}

const FLAGGER_CANARIES: ResourceType = { group: FLAGGER.group, version: 'v1beta1', plural: 'canaries', kind: 'Canary', namespaced: true };

/**
 * tollgate migrate flagger NAME: takes over a Canary Flagger initialized, with Flagger scaled to zero. Checks
 * Flagger is not running and the Canary is at rest, applies the converted Canary with the takeover annotation, waits
 * until the operator has taken the objects over (Initialized), then removes Flagger's finalizer and deletes Flagger's
 * Canary with orphan propagation, so that nothing it still owned is garbage-collected. --dry-run prints the plan.
 */
export async function migrate(ctx: Context, o: MigrateOptions): Promise<number> {
  const flagger = await readFlagger(ctx, o.name);
  const verdict = flaggerVerdict(await scanFlagger(ctx));
  const canary = await convertCanary(ctx, flagger, o.allowDropped);
  printPlan(ctx, flagger, verdict, o.dryRun);
  const refusal = verdict.refuse ?? phaseRefusal(flagger);
  if (refusal) throw new CliError(`not migrated: ${refusal}`, EXIT.FAILED);
  if (o.dryRun) {
    const { stringify } = await import('yaml');
    ctx.io.stdout(stringify(canary).trimEnd());
    return EXIT.OK;
  }
  await applyCanary(ctx, canary);
  await waitTakenOver(ctx, o);
  await releaseFlagger(ctx, flagger, o.timeoutMs);
  ctx.io.stderr(`done: ${ctx.namespace}/${o.name} is run by Tollgate; Flagger's Canary is gone and nothing was reverted or collected`);
  return EXIT.OK;
}

async function readFlagger(ctx: Context, name: string): Promise<Canary> {
  try {
    return await ctx.kube.get<Canary>(FLAGGER_CANARIES, ctx.namespace, name, ctx.signal);
  } catch (err) {
    if (isNotServed(err)) throw new CliError('the API server does not serve canaries.flagger.app: there is no Flagger Canary to migrate');
    if (isNotFound(err)) throw new CliError(`flagger.app Canary "${name}" not found in namespace "${ctx.namespace}"`);
    throw err;
  }
}

/** Flagger's Deployments, by the labels of its chart and of its Kustomize base, in every namespace. */
async function scanFlagger(ctx: Context): Promise<FlaggerScan> {
  const found = new Map<string, Workload>();
  try {
    for (const labelSelector of FLAGGER_SELECTORS) {
      const list = await ctx.kube.list<Workload>(Resources.deployments, undefined, { labelSelector }, ctx.signal);
      for (const d of list.items) found.set(`${d.metadata.namespace}/${d.metadata.name}`, d);
    }
  } catch (err) {
    if (isForbidden(err)) return { forbidden: true };
    throw err;
  }
  return { forbidden: false, deployments: [...found.values()] };
}

/** The tollgate.dev Canary, converted as `tollgate convert` converts it; what it drops is listed. */
async function convertCanary(ctx: Context, flagger: Canary, allowDropped: boolean): Promise<Canary> {
  const [{ convertManifests }, { parse, stringify }] = await Promise.all([import('../convert/convert.js'), import('yaml')]);
  const result = convertManifests([
    { file: `flagger.app Canary ${ctx.namespace}/${flagger.metadata.name}`, text: stringify(flaggerManifest(flagger)) },
  ]);
  for (const d of result.dropped) ctx.io.stderr(`dropped: ${d.object}: ${d.path}: ${d.reason}`);
  for (const n of result.notes) ctx.io.stderr(`note: ${n.object}: ${n.message}`);
  if (result.dropped.length && !allowDropped)
    throw new CliError(
      `not migrated: ${result.dropped.length} field(s) would be dropped (--allow-dropped goes on without them)`,
      EXIT.FAILED,
    );
  return takeoverCanary(parse(result.text) as Canary, flagger.metadata.name!);
}

function printPlan(ctx: Context, flagger: Canary, verdict: FlaggerVerdict, dryRun: boolean): void {
  const { name } = flagger.metadata;
  const ref = `${ctx.namespace}/${name}`;
  const lines = [
    `${dryRun ? 'Plan (dry run, nothing changed)' : 'Plan'} for the flagger.app Canary ${ref} (phase ${flagger.status?.phase || 'none'}, canary weight ${flagger.status?.canaryWeight ?? 0}):`,
    `  check   ${verdict.refuse ?? verdict.warn ?? verdict.info}`,
    `  1. apply   the tollgate.dev Canary ${ref}, converted, with the annotation ${ANNOTATIONS.takeover}: ${name}`,
    `  2. wait    until it is Initialized: the operator moves the controller ownerReference of the -primary workload, its config copies and autoscaler, the Services and the mesh objects to it (no pod template, Service selector or weight changes)`,
    `  3. patch   the flagger.app Canary ${name}: remove the finalizer ${FLAGGER.finalizer} (Flagger is not running to revert anything)`,
    `  4. delete  the flagger.app Canary ${name} with propagationPolicy Orphan (nothing it may still own is garbage-collected)`,
  ];
  for (const l of lines) ctx.io.stderr(l);
  if (verdict.warn) ctx.io.stderr(`warning: ${verdict.warn}`);
}

/** Creates the Canary; one of that name already there gets the annotation, when it releases the same target. */
async function applyCanary(ctx: Context, canary: Canary): Promise<void> {
  try {
    await ctx.kube.create(Resources.canaries, { ...canary, metadata: { ...canary.metadata, namespace: ctx.namespace } }, ctx.signal);
    ctx.io.stderr(`1. applied the tollgate.dev Canary ${ctx.namespace}/${canary.metadata.name}`);
    return;
  } catch (err) {
    // A create that collides with an existing object is a 409 AlreadyExists.
    if (!isConflict(err)) throw err;
  }
  const live = await getCanary(ctx.kube, ctx.namespace, canary.metadata.name!, ctx.signal);
  const [a, b] = [live.spec.targetRef, canary.spec.targetRef];
  if (a.apiVersion !== b.apiVersion || a.kind !== b.kind || a.name !== b.name)
    throw new CliError(
      `not migrated: the tollgate.dev Canary ${canary.metadata.name} exists and releases another target (${a.apiVersion} ${a.kind}/${a.name})`,
      EXIT.FAILED,
    );
  const annotations = { [ANNOTATIONS.takeover]: canary.metadata.name! };
  await ctx.kube.patch(Resources.canaries, ctx.namespace, canary.metadata.name!, { metadata: { annotations } }, { signal: ctx.signal });
  ctx.io.stderr(`1. annotated the existing tollgate.dev Canary ${ctx.namespace}/${canary.metadata.name}`);
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * Until the operator has initialized the Canary (Initialized, or Progressing when it resumed Flagger's release); a
 * Stalled condition or the timeout ends it.
 */
async function waitTakenOver(ctx: Context, o: MigrateOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  while (!ctx.signal.aborted) {
    const c = await ctx.kube.get<Canary>(Resources.canaries, ctx.namespace, o.name, ctx.signal);
    const phase = c.status?.phase ?? '';
    if (phase !== '' && phase !== 'Initializing') {
      ctx.io.stderr(
        `2. the operator took the objects over: ${phase}${phase === 'Progressing' ? ` at canary weight ${c.status?.canaryWeight ?? 0}` : ''}`,
      );
      return;
    }
    const stalled = c.status?.conditions?.find((x) => x.type === 'Stalled' && x.status === 'True');
    if (stalled && stalled.reason !== 'Conflict')
      throw new CliError(
        `not migrated: the Canary is Stalled (${stalled.reason}): ${stalled.message}; Flagger's Canary is left as it is`,
        EXIT.FAILED,
      );
    if (Date.now() > deadline)
      throw new CliError(
        `not migrated: the Canary is not Initialized after ${o.timeoutMs / 1000}s (phase ${phase || 'none'}${stalled ? `, ${stalled.message}` : ''}); is the operator running? Flagger's Canary is left as it is`,
        EXIT.TIMEOUT,
      );
    await sleep(1000, ctx.signal);
  }
}

/** Flagger's finalizer removed, then its Canary deleted with orphan propagation, and its deletion awaited. */
async function releaseFlagger(ctx: Context, flagger: Canary, timeoutMs: number): Promise<void> {
  const name = flagger.metadata.name!;
  const live = await ctx.kube.get<Canary>(FLAGGER_CANARIES, ctx.namespace, name, ctx.signal);
  const finalizers = (live.metadata.finalizers ?? []).filter((f) => f !== FLAGGER.finalizer);
  if (finalizers.length !== (live.metadata.finalizers ?? []).length) {
    const patch = { metadata: { resourceVersion: live.metadata.resourceVersion, finalizers } };
    await ctx.kube.patch(FLAGGER_CANARIES, ctx.namespace, name, patch, { signal: ctx.signal });
  }
  ctx.io.stderr(`3. removed the finalizer ${FLAGGER.finalizer}`);
  const body = { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan', preconditions: { uid: live.metadata.uid } };
  await ctx.kube.delete(FLAGGER_CANARIES, ctx.namespace, name, body, ctx.signal);
  const deadline = Date.now() + timeoutMs;
  while (!ctx.signal.aborted && Date.now() < deadline) {
    const gone = await ctx.kube.get(FLAGGER_CANARIES, ctx.namespace, name, ctx.signal).then(
      () => false,
      (err: unknown) => (isNotFound(err) ? true : Promise.reject(err)),
    );
    if (gone) return void ctx.io.stderr(`4. deleted the flagger.app Canary ${name} (orphan propagation)`);
    await sleep(1000, ctx.signal);
  }
  throw new CliError(
    `the flagger.app Canary ${name} is still being deleted (its orphan finalizer is the garbage collector's)`,
    EXIT.TIMEOUT,
  );
}
