/**
 * The buttons: promote, abort, pause, resume and retry run the CLI's own command (commands/request.ts), with its
 * output captured, so the page shows what `tollgate promote` would print, and the API server's refusals as such.
 */
import type { KubeClient } from '@tollgate/operator/kube/client';
import type { RequestKind } from '../canary.js';
import { request } from '../commands/request.js';
import { apiStatusOf, CanaryNotFound, CliError, describeError, EXIT } from '../errors.js';
import type { Feed } from '../feed.js';
import type { Context } from '../context.js';
import type { Io } from '../io.js';

export const ACTIONS: readonly RequestKind[] = ['promote', 'abort', 'pause', 'resume', 'retry'];

export const isAction = (s: string): s is RequestKind => (ACTIONS as readonly string[]).includes(s);

export interface ActionAnswer {
  /** The HTTP status for the page: 200 done, 409 refused for the phase, or the API server's status (403, 404...). */
  status: number;
  /** The CLI's exit code. */
  code: number;
  /** What the CLI printed, stdout and stderr in order. */
  lines: string[];
}

export interface ActionDeps {
  kube: KubeClient;
  /** The dashboard's watch of the Canaries: the acknowledgement is read there. */
  cache: NonNullable<Context['cache']>;
  io: Io;
  feed: Feed;
  prog: string;
}

/** Runs `tollgate KIND NAME -n NAMESPACE` (no --force) through the CLI's request code. */
export async function runAction(
  deps: ActionDeps,
  kind: RequestKind,
  namespace: string,
  name: string,
  signal: AbortSignal,
): Promise<ActionAnswer> {
  const lines: string[] = [];
  const io: Io = { ...deps.io, stdout: (l) => void lines.push(l), stderr: (l) => void lines.push(l) };
  try {
    const code = await request({ io, kube: deps.kube, cache: deps.cache, namespace, signal, feed: deps.feed, prog: deps.prog }, kind, {
      name,
      force: false,
      wait: true,
    });
    return { status: code === EXIT.OK ? 200 : 409, code, lines };
  } catch (err) {
    lines.push(`error: ${describeError(err)}`);
    const status = apiStatusOf(err) ?? (err instanceof CanaryNotFound ? 404 : 502);
    return { status, code: err instanceof CliError ? err.code : EXIT.ERROR, lines };
  }
}
