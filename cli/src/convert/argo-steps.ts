/**
 * An Argo Rollouts canary's steps as a Tollgate Canary's analysis: setWeight steps become weights, timed pauses
 * become each weight's pause (analysis.steps), inline analysis steps become metrics checked at every step. What has
 * no Tollgate equivalent is dropped, with the reason. Pure.
 */
import { isObject, type Findings } from './report.js';

export interface StepPlan {
  /** Ascending weights, each with the least time it is held. */
  steps: { weight: number; pause?: string }[];
  /** Inline analysis steps (their templates and args), with their paths. */
  analyses: { path: string; ref: Record<string, unknown> }[];
}

export const MANUAL_GATE_REASON =
  'an indefinite pause waits for a manual promotion; a Tollgate step has no manual gate ' +
  '(hold a run with `tollgate pause`, or gate the promotion with a confirm-promotion webhook)';

const STEP_REASONS: Record<string, string> = {
  experiment: 'Tollgate runs no Experiments (baseline and canary ReplicaSets side by side)',
  setCanaryScale: 'Tollgate scales the canary with its target and does not decouple replicas from weight',
  setHeaderRoute: 'Tollgate has no per-step header route; A/B routing by header is analysis.match, for the whole run',
  setMirrorRoute: 'Tollgate has no per-step mirror route; mirroring is analysis.mirror, for the whole run',
  plugin: 'Tollgate loads no step plugins',
};

/** Argo's pause duration (seconds as a number or a string with s, m or h) as a Go duration; undefined when unparsable. */
export function argoDuration(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return `${value}s`;
  if (typeof value !== 'string') return undefined;
  if (/^\d+$/.test(value)) return `${value}s`;
  return /^(\d+(\.\d+)?(h|m|s))+$/.test(value) ? value : undefined;
}

const SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1 };

function seconds(duration: string): number {
  let total = 0;
  for (const m of duration.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)) total += Number(m[1]) * SECONDS[m[2]!]!;
  return total;
}

/** The canary steps of a Rollout (strategy.canary.steps). */
export function planSteps(steps: unknown[], f: Findings, base = 'spec.strategy.canary.steps'): StepPlan {
  const plan: StepPlan = { steps: [], analyses: [] };
  steps.forEach((step, i) => {
    const path = `${base}[${i}]`;
    if (!isObject(step)) return f.drop(path, 'a step must be an object');
    const [key] = Object.keys(step);
    if (key === 'setWeight') return setWeight(plan, step.setWeight, `${path}.setWeight`, f);
    if (key === 'pause') return pause(plan, step.pause, `${path}.pause`, f);
    if (key === 'analysis') {
      plan.analyses.push({ path: `${path}.analysis`, ref: isObject(step.analysis) ? step.analysis : {} });
      return f.note(`${path}.analysis: its metrics are checked at every step of the run, not once at this step`);
    }
    f.drop(`${path}${key ? `.${key}` : ''}`, STEP_REASONS[key ?? ''] ?? 'not an Argo Rollouts canary step Tollgate knows');
  });
  return plan;
}

function setWeight(plan: StepPlan, value: unknown, path: string, f: Findings): void {
  const last = plan.steps[plan.steps.length - 1];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100)
    return f.drop(path, `${JSON.stringify(value)} is not a weight from 0 to 100`);
  if (value === 0) return f.drop(path, 'Tollgate steps send traffic to the canary: a weight of 0 is no step');
  if (last && value <= last.weight)
    return f.drop(path, `Tollgate weights only go up: ${value} after ${last.weight} is left out (the canary stays at ${last.weight})`);
  plan.steps.push({ weight: value });
}

function pause(plan: StepPlan, value: unknown, path: string, f: Findings): void {
  const duration = isObject(value) ? value.duration : undefined;
  if (duration === undefined) return f.drop(path, MANUAL_GATE_REASON);
  const d = argoDuration(duration);
  if (!d) return f.drop(`${path}.duration`, `${JSON.stringify(duration)} is not a duration`);
  const last = plan.steps[plan.steps.length - 1];
  if (!last) return f.drop(path, 'a pause before the first setWeight holds nothing in Tollgate (the run starts at the first weight)');
  last.pause = last.pause ? `${seconds(last.pause) + seconds(d)}s` : d;
}
