/**
 * The pages, as HTML (every value escaped by html``): the list of Canaries and a Canary's page. Pure: the server
 * renders them on load and again for each change it pushes; the page's script swaps the fragments in.
 */
import { isPromoted, isReleasing } from '@tollgate/contract/phases';
import type { Canary, CheckResult, Condition } from '@tollgate/operator/api/types';
import { phaseOf, isPaused, thresholdOf, type CoreEvent, eventStart, eventCount } from '../canary.js';
import { releases } from '../commands/releases.js';
import { age, boundsText, checkResultText, num, strategyText } from '../format.js';
import { ACTIONS } from './actions.js';
import { html, Html } from './html.js';
import type { Point } from './timeline.js';

export interface PageContext {
  csrf: string;
  /** Which namespaces are shown, when not all. */
  scopeNote?: string;
  now: number;
}

/** The page around a body: the assets are served by the dashboard itself (no CDN). */
function layout(title: string, ctx: PageContext, attrs: Html, body: Html): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="csrf-token" content="${ctx.csrf}" />
        <title>${title}</title>
        <link rel="stylesheet" href="/assets/uPlot.min.css" />
        <link rel="stylesheet" href="/assets/dashboard.css" />
        <script src="/assets/uPlot.iife.min.js" defer></script>
        <script src="/assets/dashboard.js" defer></script>
      </head>
      <body ${attrs}>
        <header><a href="/" class="home">Tollgate</a> <span id="live" class="live">connecting…</span></header>
        ${ctx.scopeNote ? html`<p class="note">${ctx.scopeNote}</p>` : ''}
        <main>${body}</main>
      </body>
    </html> `;
}

const since = (iso: string | undefined | null, now: number): Html => html`<time data-since="${iso ?? ''}">${age(iso, now)}</time>`;

/** The colour class of a phase, by the contract's groupings: a promoted revision, a failed one, a release under way. */
export const phaseTone = (phase: string): string =>
  phase === 'Failed' ? 'tone-bad' : isPromoted(phase) ? 'tone-ok' : isReleasing(phase) ? 'tone-busy' : '';

const failedText = (c: Canary): string => `${c.status?.failedChecks ?? 0}/${thresholdOf(c)}`;

/** One row of the list; data-search and data-phase feed the page's filter. */
function row(c: Canary, now: number): Html {
  const ns = c.metadata.namespace ?? '';
  const name = c.metadata.name ?? '';
  const phase = phaseOf(c);
  const provider = c.spec.provider ?? 'istio';
  return html`<tr data-phase="${phase}" data-search="${`${ns} ${name} ${phase} ${provider}`.toLowerCase()}">
    <td>${ns}</td>
    <td><a href="${`/canaries/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`}">${name}</a></td>
    <td class="phase ${phaseTone(phase)}">${phase}${isPaused(c) ? ' (paused)' : ''}</td>
    <td class="num">${c.status?.canaryWeight ?? 0}</td>
    <td class="num">${failedText(c)}</td>
    <td><code>${c.status?.lastAppliedSpec ?? '-'}</code></td>
    <td>${since(c.metadata.creationTimestamp, now)}</td>
    <td>${provider}</td>
  </tr>`;
}

/** The list's rows (the fragment pushed on each change). */
export function listRows(canaries: Canary[], now: number): Html {
  if (!canaries.length)
    return html`<tr class="empty">
      <td colspan="8">No canaries.</td>
    </tr>`;
  return html`${canaries.map((c) => row(c, now))}`;
}

export function listPage(canaries: Canary[], ctx: PageContext): Html {
  const phases = [...new Set(canaries.map(phaseOf))].sort();
  return layout(
    'Canaries · Tollgate',
    ctx,
    html`data-page="list"`,
    html`<h1>Canaries</h1>
      <form class="filters" role="search">
        <input id="search" type="search" placeholder="Filter by namespace, name, phase, provider" autocomplete="off" />
        <select id="phase">
          <option value="">every phase</option>
          ${phases.map((p) => html`<option>${p}</option>`)}
        </select>
      </form>
      <table id="canaries">
        <thead>
          <tr>
            <th>Namespace</th>
            <th>Name</th>
            <th>Phase</th>
            <th>Weight</th>
            <th>Failed</th>
            <th>Revision</th>
            <th>Age</th>
            <th>Provider</th>
          </tr>
        </thead>
        <tbody id="rows">
          ${listRows(canaries, ctx.now)}
        </tbody>
      </table>`,
  );
}

function checksTable(checks: CheckResult[] | undefined): Html {
  if (!checks?.length) return html`<p class="muted">No analysis yet.</p>`;
  return html`<table class="checks">
    <thead>
      <tr>
        <th>Metric</th>
        <th>Value</th>
        <th>Threshold</th>
        <th>Result</th>
      </tr>
    </thead>
    <tbody>
      ${checks.map(
        (k) =>
          html`<tr class="${k.ok ? 'ok' : k.dryRun ? 'dry-run' : 'fail'}">
            <td>${k.name}</td>
            <td class="num">${num(k.value)}</td>
            <td>${boundsText(k)}</td>
            <td>${checkResultText(k)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function conditionsTable(conditions: Condition[] | undefined, now: number): Html {
  if (!conditions?.length) return html`<p class="muted">No conditions reported yet.</p>`;
  return html`<table class="conditions">
    <thead>
      <tr>
        <th>Type</th>
        <th>Status</th>
        <th>Reason</th>
        <th>Since</th>
        <th>Message</th>
      </tr>
    </thead>
    <tbody>
      ${conditions.map(
        (k) =>
          html`<tr>
            <td>${k.type}</td>
            <td>${k.status}</td>
            <td>${k.reason ?? ''}</td>
            <td>${since(k.lastTransitionTime, now)}</td>
            <td>${k.message ?? ''}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** The webhooks and gates of the spec, each with the last Event that names it (their results are told by Events). */
function hooksTable(c: Canary, events: CoreEvent[]): Html {
  const hooks = (c.spec.analysis ?? c.spec.canaryAnalysis)?.webhooks ?? [];
  if (!hooks.length) return html`<p class="muted">No webhooks or gates.</p>`;
  const last = (name: string): CoreEvent | undefined => [...events].reverse().find((e) => (e.message ?? '').includes(name));
  return html`<table class="hooks">
    <thead>
      <tr>
        <th>Name</th>
        <th>Type</th>
        <th>Last result</th>
      </tr>
    </thead>
    <tbody>
      ${hooks.map((h) => {
        const e = last(h.name);
        return html`<tr>
          <td>${h.name}</td>
          <td>${h.type ?? 'rollout'}</td>
          <td>${e ? `${e.reason ?? ''}: ${e.message ?? ''}` : '-'}</td>
        </tr>`;
      })}
    </tbody>
  </table>`;
}

function eventsTable(events: CoreEvent[], now: number, note?: string): Html {
  if (note) return html`<p class="note">${note}</p>`;
  if (!events.length) return html`<p class="muted">No Events (the API server keeps them an hour by default).</p>`;
  return html`<table class="events">
    <thead>
      <tr>
        <th>Age</th>
        <th>Type</th>
        <th>Reason</th>
        <th>Count</th>
        <th>Message</th>
      </tr>
    </thead>
    <tbody>
      ${[...events].reverse().map(
        (e) =>
          html`<tr class="${e.type === 'Warning' ? 'warning' : ''}">
            <td>${since(new Date(eventStart(e)).toISOString(), now)}</td>
            <td>${e.type ?? ''}</td>
            <td>${e.reason ?? ''}</td>
            <td class="num">${eventCount(e)}</td>
            <td>${e.message ?? ''}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function historyTable(c: Canary, events: CoreEvent[]): Html {
  const list = releases(c, events);
  if (!list.length) return html`<p class="muted">No releases recorded.</p>`;
  return html`<table class="history">
    <thead>
      <tr>
        <th>Revision</th>
        <th>Trigger</th>
        <th>Started</th>
        <th>Outcome</th>
        <th>Reason</th>
      </tr>
    </thead>
    <tbody>
      ${list.map(
        (r) =>
          html`<tr>
            <td><code>${r.revision || '-'}</code></td>
            <td>${r.trigger}</td>
            <td>${r.start ?? '-'}</td>
            <td class="outcome-${r.outcome.replace(' ', '-')}">${r.outcome}</td>
            <td>${r.reason ?? ''}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** Annotations, as the operator's requests are annotations (kubectl's copy of the manifest left out: it is long). */
function annotationsTable(c: Canary): Html {
  const entries = Object.entries(c.metadata.annotations ?? {}).filter(([k]) => k !== 'kubectl.kubernetes.io/last-applied-configuration');
  if (!entries.length) return html``;
  return html`<h2>Annotations</h2>
    <table class="annotations">
      <tbody>
        ${entries.map(
          ([k, v]) =>
            html`<tr>
              <td>${k}</td>
              <td>${v.length > 300 ? `${v.slice(0, 300)}…` : v}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

function summary(c: Canary, now: number): Html {
  const s = c.status ?? {};
  const t = c.spec.targetRef;
  return html`<dl class="summary">
    <dt>Phase</dt>
    <dd class="phase ${phaseTone(phaseOf(c))}" id="phase-value">${phaseOf(c)}${isPaused(c) ? ' (paused)' : ''}</dd>
    <dt>Weight</dt>
    <dd id="weight-value">${s.canaryWeight ?? 0}%</dd>
    <dt>Failed checks</dt>
    <dd>${failedText(c)}</dd>
    <dt>Revision</dt>
    <dd><code>${s.lastAppliedSpec ?? '-'}</code> under analysis, <code>${s.lastPromotedSpec ?? '-'}</code> promoted</dd>
    <dt>Target</dt>
    <dd>${t.kind}/${t.name} via ${c.spec.provider ?? 'istio'}</dd>
    <dt>Strategy</dt>
    <dd>${strategyText(c)}</dd>
    <dt>Last analysis</dt>
    <dd>${since(s.lastAnalysisTime, now)}</dd>
  </dl>`;
}

/** Everything of a Canary's page but the chart and the buttons (the fragment pushed on each change). */
export function canaryDetail(c: Canary, events: CoreEvent[], now: number, eventsNote?: string): Html {
  return html`${summary(c, now)}
    <h2>Checks of the last analysis</h2>
    ${checksTable(c.status?.lastChecks)}
    <h2>Conditions</h2>
    ${conditionsTable(c.status?.conditions, now)}
    <h2>Webhooks and gates</h2>
    ${hooksTable(c, events)}
    <h2>Releases</h2>
    ${historyTable(c, events)}
    <h2>Events</h2>
    ${eventsTable(events, now, eventsNote)} ${annotationsTable(c)}`;
}

/** The chart's data: [times in seconds, weights], as uPlot takes it. */
export const chartData = (points: Point[]): [number[], number[]] => [points.map((p) => p.t / 1000), points.map((p) => p.weight)];

export function canaryPage(c: Canary, events: CoreEvent[], points: Point[], ctx: PageContext & { eventsNote?: string }): Html {
  const ns = c.metadata.namespace ?? '';
  const name = c.metadata.name ?? '';
  return layout(
    `${ns}/${name} · Tollgate`,
    ctx,
    html`data-page="canary" data-namespace="${ns}" data-name="${name}"`,
    html`<h1><a href="/">Canaries</a> / ${ns} / ${name}</h1>
      <section class="actions">
        ${ACTIONS.map((a) => html`<button type="button" data-action="${a}">${a}</button>`)}
        <output id="answer" role="status" aria-live="polite"></output>
      </section>
      <h2>Canary weight</h2>
      <div id="chart" data-points="${JSON.stringify(chartData(points))}"></div>
      <div id="detail">${canaryDetail(c, events, ctx.now, ctx.eventsNote)}</div>`,
  );
}

export function notFoundPage(namespace: string, name: string, ctx: PageContext): Html {
  return layout(
    'Not found · Tollgate',
    ctx,
    html`data-page="missing"`,
    html`<h1>Canary ${namespace}/${name} not found</h1>
      <p><a href="/">All canaries</a></p>`,
  );
}
