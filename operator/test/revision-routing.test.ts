import type { Phase } from '../src/api/types.js';
import { desiredPartition } from '../src/targets/partition.js';
import type { CanaryAnalysis } from '../src/api/types.js';
import { meshCanaryPods, meshRefusal, revisionSelectors, runMaxWeight, selectsEveryRevision } from '../src/targets/revision-routing.js';

describe('runMaxWeight: the highest weight of a run', () => {
  it.each<[CanaryAnalysis, number]>([
    [{ stepWeight: 10, maxWeight: 60 }, 60],
    [{ stepWeight: 10 }, 100],
    [{ stepWeights: [20, 40] }, 40],
    [{ stepWeights: [20, 40], maxWeight: 90 }, 40],
    [{ steps: [{ weight: 5 }, { weight: 30, pause: '1m' }], stepWeights: [50] }, 30],
    [{ stepWeight: 10, stepWeights: [20, 80], maxWeight: 50 }, 50],
    [{ interval: 'not a duration', stepWeights: [25] }, 25],
    [{}, 100],
  ])('%j: %i', (a, weight) => {
    expect(runMaxWeight(a)).toBe(weight);
  });
});

describe('meshCanaryPods: enough new pods for the highest weight, the primary keeping one', () => {
  it.each([
    [3, 40, 2],
    [3, 33, 1],
    [3, 100, 2],
    [4, 50, 2],
    [10, 5, 1],
    [10, 0, 1],
    [2, 90, 1],
    [5, 150, 4],
  ])('%i replicas, max weight %i: %i pods', (replicas, maxWeight, pods) => {
    expect(meshCanaryPods(replicas, maxWeight)).toBe(pods);
  });
});

describe('meshRefusal', () => {
  it('refuses a single replica: both revisions need a pod while both take traffic', () => {
    expect(meshRefusal('db', 1)).toMatch(/StatefulSet db has 1 replica\(s\).*at least 2 replicas, or use provider kubernetes/);
    expect(meshRefusal('db', 0)).toBeDefined();
    expect(meshRefusal('db', 2)).toBeUndefined();
  });
});

describe('revisionSelectors: the Services of an in-place target per phase', () => {
  const all = { app: 'db' };
  const revisions = { current: 'db-a', update: 'db-b' };
  const a = { app: 'db', 'controller-revision-hash': 'db-a' };
  const b = { app: 'db', 'controller-revision-hash': 'db-b' };
  it.each<[Phase | undefined, 'pods' | 'mesh', Record<string, string>, Record<string, string>]>([
    // by pods: the apex selects every pod whatever the phase
    ['Progressing', 'pods', all, a],
    ['Promoting', 'pods', all, a],
    ['Succeeded', 'pods', all, a],
    // by a mesh: the apex follows -primary; -primary selects every pod while Promoting only
    ['Progressing', 'mesh', a, a],
    ['WaitingPromotion', 'mesh', a, a],
    ['Promoting', 'mesh', all, all],
    ['Finalising', 'mesh', a, a],
    ['Failed', 'mesh', a, a],
    [undefined, 'mesh', a, a],
  ])('%s by %s: apex %j, primary %j', (phase, by, apex, primary) => {
    expect(revisionSelectors(all, revisions, phase, by)).toEqual({ apex, primary, canary: b });
  });

  it('tells a -primary selector of every pod from one of a revision', () => {
    expect(selectsEveryRevision(all)).toBe(true);
    expect(selectsEveryRevision(a)).toBe(false);
    expect(selectsEveryRevision(undefined)).toBe(false);
  });
});

describe('desiredPartition routed by a mesh: lowered once for the run, 0 once -primary selects every pod', () => {
  const mesh = (primaryWide: boolean) => ({ canaryPods: 2, primaryWide });
  it.each<[Phase | undefined, number, boolean, number | undefined]>([
    ['Progressing', 0, false, 2],
    ['Progressing', 10, false, 2],
    ['Progressing', 60, false, 2],
    ['WaitingPromotion', 60, false, 2],
    ['Promoting', 60, false, undefined],
    ['Promoting', 60, true, 0],
    ['Finalising', 0, false, 0],
    ['Succeeded', 0, false, 4],
    ['Failed', 0, false, 4],
  ])('%s at weight %i, -primary wide %s: partition %s', (phase, canaryWeight, wide, partition) => {
    expect(desiredPartition({ phase, canaryWeight, restoring: false }, 4, mesh(wide))).toBe(partition);
  });

  it('leaves the partition alone while a rollback restores the promoted revision', () => {
    expect(desiredPartition({ phase: 'Failed', canaryWeight: 0, restoring: true }, 4, mesh(false))).toBeUndefined();
  });
});
