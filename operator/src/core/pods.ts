import type { ContainerStatus, LabelSelector, Pod } from '../api/k8s.js';

/** Why one pod does not serve, from its status as the kubelet and the scheduler report it. */
export interface PodProblem {
  pod: string;
  /** The container concerned; absent for a reason of the pod itself (Unschedulable, Evicted, not ready). */
  container?: string;
  /** The kubelet's or scheduler's reason (CrashLoopBackOff, OOMKilled, ImagePullBackOff, Unschedulable...), or NotReady. */
  reason: string;
  message: string;
}

/**
 * Reasons by how well they explain a failure, most telling first: a container killed for memory, then one that
 * crashes, then an image that cannot be pulled, a container that cannot be created, a pod no node takes, a pod
 * evicted or failed, a container running but not ready. Any other reason (ContainerCreating...) comes last.
 */
const SEVERITY: readonly (readonly string[])[] = [
  ['OOMKilled'],
  ['CrashLoopBackOff', 'Error', 'RunContainerError', 'ContainerCannotRun', 'StartError'],
  ['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull'],
  ['CreateContainerConfigError', 'CreateContainerError'],
  ['Unschedulable'],
  ['Evicted', 'Failed'],
  ['NotReady'],
];

/** The rank of a reason in SEVERITY (0 is the most telling); unknown reasons rank last. */
export function severityOf(reason: string): number {
  const i = SEVERITY.findIndex((group) => group.includes(reason));
  return i < 0 ? SEVERITY.length : i;
}

const MAX_TEXT = 200;
const cut = (s: string | undefined): string => {
  const t = (s ?? '').replace(/\s+/g, ' ').trim();
  return t.length > MAX_TEXT ? `${t.slice(0, MAX_TEXT - 1)}…` : t;
};
const join = (...parts: (string | undefined | false)[]): string => parts.filter(Boolean).join('; ');

/** "last exit OOMKilled, code 137" for the container's previous (or current) termination; "" for none. */
function lastExit(cs: ContainerStatus): string {
  const t = cs.state?.terminated ?? cs.lastState?.terminated;
  if (!t) return '';
  return `last exit ${t.reason ?? 'Terminated'}${t.exitCode !== undefined ? `, code ${t.exitCode}` : ''}`;
}

const restarts = (cs: ContainerStatus): string => (cs.restartCount ? `${cs.restartCount} restarts` : '');

/** The problem of one container, or undefined when it serves (ready, or an init container that completed). */
export function containerProblem(pod: string, cs: ContainerStatus): PodProblem | undefined {
  const { waiting, terminated, running } = cs.state ?? {};
  if (cs.ready || (terminated && terminated.exitCode === 0 && !waiting)) return undefined;
  const base = { pod, container: cs.name };
  if (terminated?.reason === 'OOMKilled' || cs.lastState?.terminated?.reason === 'OOMKilled') {
    const now = waiting?.reason ? `now ${waiting.reason}` : '';
    return { ...base, reason: 'OOMKilled', message: join('killed for exceeding its memory limit', lastExit(cs), restarts(cs), now) };
  }
  if (waiting?.reason) return { ...base, reason: waiting.reason, message: join(cut(waiting.message), lastExit(cs), restarts(cs)) };
  if (terminated)
    return { ...base, reason: terminated.reason ?? 'Error', message: join(cut(terminated.message), lastExit(cs), restarts(cs)) };
  if (running) return { ...base, reason: 'NotReady', message: join('running but not ready (its readiness probe fails)', restarts(cs)) };
  return undefined;
}

/** What keeps one pod from serving, worst first; none for a pod that is ready or being deleted. */
export function podProblems(pod: Pod): PodProblem[] {
  const name = pod.metadata.name ?? '';
  const st = pod.status ?? {};
  if (pod.metadata.deletionTimestamp || st.phase === 'Succeeded') return [];
  const condition = (type: string): { status: string; reason?: string; message?: string } | undefined =>
    st.conditions?.find((c) => c.type === type);
  if (condition('Ready')?.status === 'True') return [];
  const out: PodProblem[] = [];
  if (st.phase === 'Failed') out.push({ pod: name, reason: st.reason || 'Failed', message: cut(st.message) });
  const scheduled = condition('PodScheduled');
  if (scheduled?.status === 'False') out.push({ pod: name, reason: scheduled.reason || 'Unschedulable', message: cut(scheduled.message) });
  for (const cs of [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])]) {
    const p = containerProblem(name, cs);
    if (p) out.push(p);
  }
  const ready = condition('Ready');
  if (out.length === 0 && ready?.status === 'False') {
    out.push({ pod: name, reason: 'NotReady', message: cut(ready.message) || 'not ready' });
  }
  return sortProblems(out);
}

/** Worst first (by severityOf), then by pod and container name, so the same pods always read the same. */
function sortProblems(problems: readonly PodProblem[]): PodProblem[] {
  return [...problems].sort(
    (a, b) =>
      severityOf(a.reason) - severityOf(b.reason) || a.pod.localeCompare(b.pod) || (a.container ?? '').localeCompare(b.container ?? ''),
  );
}

/** The worst problem of each pod that does not serve, worst first. */
export function problemsOfPods(pods: readonly Pod[]): PodProblem[] {
  return sortProblems(pods.flatMap((p) => podProblems(p).slice(0, 1)));
}

/** "pod a: CrashLoopBackOff (container app: back-off 10s…; last exit Error, code 1; 3 restarts)". */
export function problemText(p: PodProblem): string {
  const what = p.container ? `container ${p.container}${p.message ? `: ${p.message}` : ''}` : p.message;
  return `pod ${p.pod}: ${p.reason}${what ? ` (${what})` : ''}`;
}

/**
 * The pods that fail (a reason worse than NotReady: not a pod still starting) and that `told` (what was said
 * before) does not name with that reason yet, in problemText's words.
 */
export function newlyFailing(problems: readonly PodProblem[], told: string): string[] {
  const notReady = severityOf('NotReady');
  return problems.filter((p) => severityOf(p.reason) < notReady && !told.includes(`pod ${p.pod}: ${p.reason}`)).map(problemText);
}

/** The pods that do not serve, the worst `limit` named, as one sentence; "" for none. */
export function describeProblems(problems: readonly PodProblem[], limit = 3): string {
  if (problems.length === 0) return '';
  const named = problems.slice(0, limit).map(problemText).join('; ');
  const more = problems.length - limit;
  return more > 0 ? `${named}; and ${more} more pod${more > 1 ? 's' : ''} not ready` : named;
}

interface Requirement {
  key?: unknown;
  operator?: unknown;
  values?: unknown;
}

function meets(r: Requirement, labels: Record<string, string>): boolean {
  if (typeof r.key !== 'string') return false;
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const values = Array.isArray(r.values) ? (r.values as unknown[]) : [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(labels[r.key]);
    case 'NotIn':
      return !has || !values.includes(labels[r.key]);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      return false;
  }
}

/**
 * Whether labels satisfy a workload's selector (matchLabels and matchExpressions, as the API server reads them).
 * A selector that selects nothing explicitly (no labels, no expressions) matches no pod here: a workload always
 * has one, and an empty one must not blame every pod of the namespace.
 */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  const match = Object.entries(selector?.matchLabels ?? {});
  const exprs = (selector?.matchExpressions ?? []) as Requirement[];
  if (match.length === 0 && exprs.length === 0) return false;
  return match.every(([k, v]) => l[k] === v) && exprs.every((r) => meets(r, l));
}
