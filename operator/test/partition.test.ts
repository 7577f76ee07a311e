import type { Pod, StatefulSet } from '../src/api/k8s.js';
import type { Phase } from '../src/api/types.js';
import {
  canaryPodsReadiness,
  desiredPartition,
  inPlaceRefusal,
  newPodsFor,
  restoreStep,
  RevisionDataError,
  rolledOutReadiness,
  stuckPods,
  templateOfRevision,
} from '../src/targets/partition.js';

function sts(
  o: { replicas?: number; partition?: number; type?: string; status?: StatefulSet['status']; generation?: number } = {},
): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'ns', generation: o.generation ?? 2 },
    spec: {
      replicas: o.replicas ?? 4,
      selector: { matchLabels: { app: 'db' } },
      template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'db:2' }] } },
      updateStrategy: { type: o.type ?? 'RollingUpdate', rollingUpdate: { partition: o.partition ?? 4 } },
    },
    status: { observedGeneration: 2, ...o.status },
  };
}

describe('newPodsFor: the pods on the new revision at a weight (ceil, at least one above 0)', () => {
  it.each([
    [4, 0, 0],
    [4, 1, 1],
    [4, 25, 1],
    [4, 26, 2],
    [4, 50, 2],
    [4, 99, 4],
    [4, 100, 4],
    [4, 150, 4],
    [3, 10, 1],
    [3, 34, 2],
    [3, 67, 3],
    [1, 5, 1],
    [0, 50, 0],
    [5, -10, 0],
  ])('%i replicas at weight %i: %i new pods', (replicas, weight, pods) => {
    expect(newPodsFor(replicas, weight)).toBe(pods);
  });
});

describe('desiredPartition: highest ordinals first, partition = replicas - new pods', () => {
  const at = (phase: Phase | undefined, canaryWeight: number, restoring = false): number | undefined =>
    desiredPartition({ phase, canaryWeight, restoring }, 4);
  it.each<[Phase | undefined, number, number]>([
    ['Progressing', 0, 4],
    ['Progressing', 10, 3],
    ['Progressing', 50, 2],
    ['WaitingPromotion', 75, 1],
    ['Progressing', 100, 0],
    ['Promoting', 50, 0],
    ['Finalising', 0, 0],
    ['Terminating', 0, 0],
    ['Succeeded', 0, 4],
    ['Initialized', 0, 4],
    ['Initializing', 0, 4],
    ['Failed', 0, 4],
    ['Waiting', 0, 4],
    [undefined, 0, 4],
  ])('%s at weight %i: partition %i', (phase, weight, partition) => {
    expect(at(phase, weight)).toBe(partition);
  });

  it('leaves the partition alone while a rollback restores the promoted revision', () => {
    expect(at('Failed', 0, true)).toBeUndefined();
  });
});

describe('inPlaceRefusal', () => {
  it('refuses OnDelete with the field to change', () => {
    expect(inPlaceRefusal(sts({ type: 'OnDelete' }))).toMatch(/updateStrategy OnDelete.*set updateStrategy.type: RollingUpdate/);
  });
  it('accepts RollingUpdate, and a StatefulSet without updateStrategy (RollingUpdate by default)', () => {
    expect(inPlaceRefusal(sts())).toBeUndefined();
    const bare = sts();
    delete bare.spec.updateStrategy;
    expect(inPlaceRefusal(bare)).toBeUndefined();
  });
});

describe('readiness', () => {
  it('the stable side is ready once every pod runs the update revision', () => {
    const rolling = sts({ status: { replicas: 4, updatedReplicas: 2, readyReplicas: 4, updateRevision: 'db-b' } });
    expect(rolledOutReadiness(rolling, 100)).toEqual({ ready: false, reason: '2 of 4 pods run revision db-b', fatal: false });
    expect(rolledOutReadiness(sts({ status: { replicas: 4, updatedReplicas: 4, readyReplicas: 3 } }), 100).ready).toBe(false);
    expect(rolledOutReadiness(sts({ status: { replicas: 4, updatedReplicas: 4, readyReplicas: 3 } }), 75).ready).toBe(true);
    expect(rolledOutReadiness(sts({ generation: 3, status: { replicas: 4, updatedReplicas: 4, readyReplicas: 4 } }), 100).ready).toBe(
      false,
    );
    expect(rolledOutReadiness(sts({ replicas: 0 }), 100)).toMatchObject({ ready: false, fatal: true });
  });

  it('the canary side waits for the partition, then for its ready pods', () => {
    expect(canaryPodsReadiness(sts({ partition: 4 }), 2, 0, 100)).toMatchObject({
      ready: false,
      reason: 'partition 4 not yet lowered to 2',
    });
    expect(canaryPodsReadiness(sts({ partition: 2, status: { updateRevision: 'db-b' } }), 2, 1, 100)).toMatchObject({
      ready: false,
      reason: '1 of 2 pods of revision db-b ready',
    });
    expect(canaryPodsReadiness(sts({ partition: 2 }), 2, 2, 100).ready).toBe(true);
    expect(canaryPodsReadiness(sts({ partition: 4 }), 0, 0, 100).ready).toBe(true);
  });
});

describe('templateOfRevision: the template a ControllerRevision holds', () => {
  it('takes spec.template whole and drops the $patch directive', () => {
    const template = { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'db:1' }] } };
    expect(templateOfRevision({ spec: { template: { ...template, $patch: 'replace' } } })).toEqual(template);
  });
  it.each([[undefined], [{}], [{ spec: { template: [] } }], [{ spec: { template: { spec: {} } } }]])('refuses %j', (data) => {
    expect(() => templateOfRevision(data)).toThrow(RevisionDataError);
  });
});

describe('restoreStep: a rollback from what the StatefulSet shows', () => {
  const promoted = 'db-a';
  it('writes the promoted template while the failed one is in place', () => {
    expect(restoreStep(sts({ status: { updateRevision: 'db-b' } }), promoted, true)).toEqual({ kind: 'write-template' });
  });
  it('leaves a template someone changed since the rollback', () => {
    expect(restoreStep(sts({ status: { updateRevision: 'db-c' } }), promoted, false)).toMatchObject({ kind: 'abandon' });
  });
  it('waits for the controller to see the write, then for the pods to move back', () => {
    expect(restoreStep(sts({ generation: 3, status: { updateRevision: 'db-b' } }), promoted, true)).toMatchObject({ kind: 'wait' });
    expect(restoreStep(sts({ status: { updateRevision: 'db-a', replicas: 4, updatedReplicas: 3 } }), promoted, true)).toEqual({
      kind: 'wait',
      reason: '3 of 4 pods are back on revision db-a',
    });
  });
  it('arms the partition once every pod runs the promoted revision', () => {
    expect(restoreStep(sts({ status: { updateRevision: 'db-a', replicas: 4, updatedReplicas: 4 } }), promoted, true)).toEqual({
      kind: 'arm',
    });
  });
});

describe('stuckPods: the pods a rollback replaces itself', () => {
  const pod = (name: string, revision: string, ready: boolean, deleting = false): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      labels: { 'controller-revision-hash': revision },
      ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  it('takes the unready pods of another revision than the promoted one, not those going or ready', () => {
    const pods = [
      pod('db-0', 'db-a', true),
      pod('db-1', 'db-a', false),
      pod('db-2', 'db-b', false),
      pod('db-3', 'db-b', true),
      pod('db-4', 'db-b', false, true),
    ];
    expect(stuckPods(pods, 'db-a').map((p) => p.metadata.name)).toEqual(['db-2']);
  });
});
