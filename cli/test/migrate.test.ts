import type { Canary } from '@tollgate/operator/api/types';
import { UsageError } from '../src/errors.js';
import { parseCommandLine } from '../src/main.js';
import { flaggerManifest, flaggerVerdict, phaseRefusal, takeoverCanary, type Workload } from '../src/migrate/flagger-plan.js';

const deployment = (name: string, replicas: number, status: { replicas?: number; readyReplicas?: number } = {}): Workload => ({
  metadata: { name, namespace: 'flagger-system' },
  spec: { replicas },
  status,
});

const flagger = (status: Canary['status'], annotations: Record<string, string> = {}): Canary => ({
  apiVersion: 'flagger.app/v1beta1',
  kind: 'Canary',
  metadata: { name: 'podinfo', namespace: 'test', uid: 'u', resourceVersion: '7', finalizers: ['finalizer.flagger.app'], annotations },
  spec: {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
    service: { port: 9898 },
    analysis: { interval: '1m' },
  },
  ...(status ? { status } : {}),
});

describe('flaggerVerdict', () => {
  it('given a Flagger Deployment with replicas, or pods still terminating, then the migration is refused naming it', () => {
    expect(flaggerVerdict({ forbidden: false, deployments: [deployment('flagger', 1, { replicas: 1, readyReplicas: 1 })] }).refuse).toBe(
      'Flagger runs: flagger-system/flagger (1 ready of 1). Flagger could still write the same objects; scale it to zero first (kubectl scale deployment --replicas=0)',
    );
    expect(flaggerVerdict({ forbidden: false, deployments: [deployment('flagger', 0, { replicas: 1 })] }).refuse).toMatch(/^Flagger runs/);
  });

  it('given every Flagger Deployment at zero, then it goes on and says which', () => {
    expect(
      flaggerVerdict({ forbidden: false, deployments: [deployment('flagger', 0), deployment('flagger-b', 0, { replicas: 0 })] }),
    ).toEqual({
      info: 'Flagger is scaled to zero: flagger-system/flagger, flagger-system/flagger-b',
    });
  });

  it('given no Flagger Deployment found, or no right to list them, then it goes on with a warning', () => {
    expect(flaggerVerdict({ forbidden: false, deployments: [] }).warn).toMatch(
      /^no Flagger Deployment found \(labels app.kubernetes.io\/name=flagger or app=flagger\)/,
    );
    expect(flaggerVerdict({ forbidden: true }).warn).toMatch(/^cannot list Deployments across namespaces \(403 Forbidden\)/);
    expect(flaggerVerdict({ forbidden: true }).refuse).toBeUndefined();
  });
});

describe('phaseRefusal', () => {
  it.each(['Initialized', 'Succeeded', 'Progressing'])('given a Canary %s, then it can be taken over', (phase) => {
    expect(phaseRefusal(flagger({ phase } as Canary['status']))).toBeUndefined();
  });

  it('given a release waiting for promotion, a failed one or no status, then it is refused saying why', () => {
    expect(phaseRefusal(flagger({ phase: 'WaitingPromotion', canaryWeight: 60 } as Canary['status']))).toMatch(
      /^the flagger.app Canary is WaitingPromotion at canary weight 60: only an Initialized, Succeeded or Progressing Canary/,
    );
    expect(phaseRefusal(flagger({ phase: 'Failed' } as Canary['status']))).toMatch(/target carries a revision the primary does not run/);
    expect(phaseRefusal(flagger(undefined))).toMatch(/^the flagger.app Canary is not initialized/);
  });
});

describe('flaggerManifest and takeoverCanary', () => {
  it("given a live Canary, then the manifest keeps the user's spec, labels and annotations, and the takeover names it", () => {
    const live = flagger({ phase: 'Initialized' } as Canary['status'], {
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
      'kustomize.toolkit.fluxcd.io/checksum': 'x',
      team: 'shop',
    });
    const manifest = flaggerManifest(live);
    expect(manifest).toEqual({
      apiVersion: 'flagger.app/v1beta1',
      kind: 'Canary',
      metadata: { name: 'podinfo', namespace: 'test', annotations: { team: 'shop' } },
      spec: live.spec,
    });
    const taken = takeoverCanary({ ...manifest, apiVersion: 'tollgate.dev/v1beta1' }, 'podinfo');
    expect(taken.metadata.annotations).toEqual({ team: 'shop', 'tollgate.dev/takeover': 'podinfo' });
  });
});

describe('migrate command line', () => {
  it('given migrate flagger NAME and its flags, then the options', () => {
    expect(parseCommandLine(['migrate', 'flagger', 'podinfo', '-n', 'test', '--dry-run', '--timeout', '90s'])).toEqual({
      command: 'migrate',
      cluster: { namespace: 'test' },
      migrate: { name: 'podinfo', dryRun: true, allowDropped: false, timeoutMs: 90_000 },
    });
  });

  it.each([
    [['migrate', 'argo', 'podinfo'], 'cannot migrate from "argo": use migrate flagger NAME'],
    [['migrate', 'flagger'], 'migrate needs where from and the name of the Canary: migrate flagger NAME'],
    [['migrate', 'flagger', 'podinfo', '--timeout', 'soon'], 'invalid --timeout "soon": use a duration such as 90s or 5m'],
  ])('given %j, then a usage error', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});
