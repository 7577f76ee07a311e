import type { Context } from '../context.js';
import { EXIT } from '../errors.js';
import { humanDuration, table } from '../format.js';
import { canaryEvents, getCanary } from '../kube.js';
import { releases, type Release } from './releases.js';

export const HISTORY_OUTPUTS = ['json', 'yaml'] as const;

export interface HistoryOptions {
  name: string;
  output?: (typeof HISTORY_OUTPUTS)[number];
}

/** tollgate history NAME: the past releases, newest first, from the Canary's Events and status. */
export async function history(ctx: Context, o: HistoryOptions): Promise<number> {
  const canary = await getCanary(ctx.kube, ctx.namespace, o.name, ctx.signal);
  const events = await canaryEvents(ctx.kube, ctx.namespace, o.name, canary.metadata.uid, ctx.signal);
  const list = releases(canary, events);
  if (o.output) {
    const doc = { canary: `${ctx.namespace}/${o.name}`, releases: list };
    if (o.output === 'json') ctx.io.stdout(JSON.stringify(doc, null, 2));
    else ctx.io.stdout((await import('yaml')).stringify(doc).trimEnd());
    return EXIT.OK;
  }
  if (!list.length) {
    ctx.io.stderr(`No releases of ${ctx.namespace}/${o.name} recorded (Events expire after an hour by default).`);
    return EXIT.OK;
  }
  for (const line of historyTable(list)) ctx.io.stdout(line);
  return EXIT.OK;
}

/** REVISION, TRIGGER, STARTED, DURATION, OUTCOME, REASON; times in UTC to the second. */
export function historyTable(list: Release[]): string[] {
  const time = (t: string | undefined): string => (t ? t.replace(/\.\d+Z$/, 'Z') : '-');
  const rows = list.map((r) => [
    r.revision || '-',
    r.trigger,
    time(r.start),
    r.durationMs !== undefined ? humanDuration(r.durationMs) : '-',
    r.outcome,
    r.reason ?? '',
  ]);
  return table(['REVISION', 'TRIGGER', 'STARTED', 'DURATION', 'OUTCOME', 'REASON'], rows);
}
