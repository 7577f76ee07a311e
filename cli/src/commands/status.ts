import type { Canary } from '@tollgate/operator/api/types';
import { eventsOfRun, type CoreEvent } from '../canary.js';
import type { Context } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { ticking } from '../feed.js';
import { changeLines, statusLines, type Snapshot } from '../format.js';
import { canaryEvents, getCanary } from '../kube.js';
import { forOutput } from './get.js';
import { Judge } from './wait.js';

export const STATUS_OUTPUTS = ['json', 'yaml'] as const;

export interface StatusOptions {
  name: string;
  /** Keep printing changes until Ctrl-C. */
  watch: boolean;
  /** Keep printing changes until the run ends: exit 0 when promoted, 1 when it failed. */
  untilDone: boolean;
  allEvents: boolean;
  /** The Canary and its Events as one document, instead of the page. */
  output?: (typeof STATUS_OUTPUTS)[number];
}

/** tollgate status NAME: the current run as a page; with --watch, then one timeline line per change. */
export async function status(ctx: Context, o: StatusOptions): Promise<number> {
  const { io, kube, namespace } = ctx;
  const canary = await getCanary(kube, namespace, o.name, ctx.signal);
  const events = await canaryEvents(kube, namespace, o.name, canary.metadata.uid, ctx.signal);
  if (o.output) return printDocument(ctx, canary, o.allEvents ? events : eventsOfRun(canary, events), o.output);
  for (const line of statusLines(canary, events, { now: io.now(), allEvents: o.allEvents })) io.stdout(line);
  if (!o.watch && !o.untilDone) return EXIT.OK;
  const judge = new Judge(kube, io);
  if (o.untilDone) {
    const done = await ended(ctx, judge, canary);
    if (done !== undefined) return done;
  }
  io.stdout('');
  io.stdout(o.untilDone ? 'Following the run until it ends (Ctrl-C to stop):' : 'Following changes (Ctrl-C to stop):');
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  let prev: Snapshot = { canary, events };
  try {
    const feed = ctx.feed({ kube, io, namespace, name: o.name, events: true, signal });
    for await (const snap of o.untilDone ? ticking(feed, io, 1000, signal) : feed) {
      for (const line of changeLines(prev, snap, io.now())) io.stdout(line);
      prev = snap;
      if (!snap.canary) return EXIT.ERROR;
      if (o.untilDone) {
        const done = await ended(ctx, judge, snap.canary);
        if (done !== undefined) return done;
      }
    }
  } finally {
    stop.abort();
  }
  return o.untilDone ? EXIT.INTERRUPTED : EXIT.OK;
}

/** -o json|yaml: {canary, events}, the Events of the current run (all with --all-events), oldest first. */
async function printDocument(ctx: Context, canary: Canary, events: CoreEvent[], output: 'json' | 'yaml'): Promise<number> {
  const doc = { canary: forOutput(canary), events };
  if (output === 'json') ctx.io.stdout(JSON.stringify(doc, null, 2));
  else ctx.io.stdout((await import('@kubernetes/client-node')).dumpYaml(doc).trimEnd());
  return EXIT.OK;
}

/** Refuses -o with --watch or --until-done: a document is printed once. */
export function checkStatusOptions(o: StatusOptions): void {
  if (o.output && (o.watch || o.untilDone))
    throw new UsageError(`-o ${o.output} prints one document: it cannot be combined with --watch or --until-done`, 'status');
}

/** The exit code once the run has ended (as tollgate wait decides), else undefined. */
async function ended(ctx: Context, judge: Judge, canary: Canary): Promise<number | undefined> {
  const d = await judge.decide(canary, ctx.signal);
  if (d.state === 'promoted') {
    ctx.io.stdout(`The run has ended: revision ${canary.status?.lastPromotedSpec} is promoted.`);
    return EXIT.OK;
  }
  if (d.state === 'failed') {
    ctx.io.stdout(`The run has ended: ${d.reason}: ${d.message}`);
    return EXIT.FAILED;
  }
  return undefined;
}
