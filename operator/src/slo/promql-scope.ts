/**
 * Scopes a PromQL query to one workload: every vector selector gets the given label matchers (a matcher on the
 * same label already there is replaced), as prom-label-proxy enforces a label. Parsed with Prometheus's own lezer
 * grammar (@prometheus-io/lezer-promql), so strings, comments, function names and `by (...)` lists are never
 * mistaken for selectors. Pure.
 */
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';

export interface ScopeMatcher {
  label: string;
  op: '=' | '=~';
  value: string;
}

export class PromQLScopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromQLScopeError';
  }
}

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MATCHER_NODES = new Set(['UnquotedLabelMatcher', 'QuotedLabelMatcher']);

/** The matcher written in PromQL: the value as a double-quoted string (JSON escapes are Go escapes too). */
function matcherText(m: ScopeMatcher): string {
  if (!LABEL_NAME.test(m.label)) throw new PromQLScopeError(`"${m.label}" is not a label name`);
  return `${m.label}${m.op}${JSON.stringify(m.value)}`;
}

/** Escapes a value for a regular-expression matcher so that it matches itself only. */
export const regexQuote = (value: string): string => value.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');

/** The query with every vector selector scoped by the matchers; throws PromQLScopeError on a query that does not parse. */
export function scopeQuery(query: string, matchers: readonly ScopeMatcher[]): string {
  const added = matchers.map(matcherText);
  const labels = new Set(matchers.map((m) => m.label));
  const tree = parser.parse(query);
  const edits: { from: number; to: number; text: string }[] = [];
  let error: number | undefined;
  tree.iterate({
    enter: (n) => {
      if (n.type.isError && error === undefined) error = n.from;
      if (n.name === 'VectorSelector') edits.push(selectorEdit(query, n.node, added, labels));
    },
  });
  if (error !== undefined) throw new PromQLScopeError(`the query does not parse at offset ${error}: ${excerpt(query, error)}`);
  if (edits.length === 0) throw new PromQLScopeError('the query has no series selector to scope');
  let out = query;
  for (const e of edits.sort((a, b) => b.from - a.from)) out = out.slice(0, e.from) + e.text + out.slice(e.to);
  return out;
}

/** The edit of one selector: its `{...}` rewritten without matchers on the scoped labels and with the scope's; or `{...}` added. */
function selectorEdit(
  query: string,
  selector: SyntaxNode,
  added: string[],
  labels: ReadonlySet<string>,
): { from: number; to: number; text: string } {
  const braces = selector.getChild('LabelMatchers');
  if (!braces) return { from: selector.to, to: selector.to, text: `{${added.join(', ')}}` };
  const kept: string[] = [];
  for (let c = braces.firstChild; c; c = c.nextSibling) {
    if (MATCHER_NODES.has(c.name)) {
      const name = c.getChild('LabelName');
      if (name && labels.has(query.slice(name.from, name.to))) continue;
      kept.push(query.slice(c.from, c.to));
    } else if (c.name === 'QuotedLabelName') kept.push(query.slice(c.from, c.to));
  }
  return { from: braces.from, to: braces.to, text: `{${[...kept, ...added].join(', ')}}` };
}

const excerpt = (q: string, at: number): string => JSON.stringify(q.slice(Math.max(0, at - 20), at + 20));
