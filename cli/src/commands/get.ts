import type { Canary } from '@tollgate/operator/api/types';
import { Resources } from '@tollgate/operator/kube/resources';
import type { Context } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { canaryTable } from '../format.js';
import { getCanary } from '../kube.js';

export const OUTPUTS = ['json', 'yaml', 'wide', 'name'] as const;
export type Output = (typeof OUTPUTS)[number];

export interface GetOptions {
  name?: string;
  allNamespaces: boolean;
  output?: Output;
}

/** tollgate get [NAME]: the Canaries as a table, or as JSON or YAML. */
export async function get(ctx: Context, o: GetOptions): Promise<number> {
  if (o.name && o.allNamespaces) throw new UsageError('a canary cannot be named across all namespaces: drop -A, or use -n', 'get');
  const canaries = o.name
    ? [await getCanary(ctx.kube, ctx.namespace, o.name, ctx.signal)]
    : (await ctx.kube.list<Canary>(Resources.canaries, o.allNamespaces ? undefined : ctx.namespace, {}, ctx.signal)).items.sort(
        (a, b) =>
          (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
          (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
      );
  if (o.output === 'name') {
    for (const c of canaries) ctx.io.stdout(`canary.tollgate.dev/${c.metadata.name}`);
    return EXIT.OK;
  }
  if (o.output === 'json' || o.output === 'yaml') {
    const items = canaries.map(forOutput);
    const doc = o.name ? items[0] : { apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } };
    if (o.output === 'json') ctx.io.stdout(JSON.stringify(doc, null, 2));
    else ctx.io.stdout((await import('@kubernetes/client-node')).dumpYaml(doc).trimEnd());
    return EXIT.OK;
  }
  if (!canaries.length) {
    ctx.io.stderr(o.allNamespaces ? 'No canaries found.' : `No canaries found in namespace ${ctx.namespace}.`);
    return EXIT.OK;
  }
  for (const line of canaryTable(canaries, { allNamespaces: o.allNamespaces, wide: o.output === 'wide', now: ctx.io.now() }))
    ctx.io.stdout(line);
  return EXIT.OK;
}

/** As kubectl prints objects: with apiVersion and kind, without managedFields. */
export function forOutput(c: Canary): Canary {
  const { managedFields: _m, ...metadata } = c.metadata as Canary['metadata'] & { managedFields?: unknown };
  return { apiVersion: c.apiVersion ?? 'tollgate.dev/v1beta1', kind: c.kind ?? 'Canary', ...c, metadata };
}
