import type { Run } from '../run.js';

/**
 * First sight of a Canary: the -primary and -canary Services, the primary copy of the target; once the
 * primary serves, the apex Service and the routes (all to the primary); then the target is scaled to zero.
 */
export async function initialize(run: Run): Promise<number | undefined> {
  if (run.phase === '') {
    run.status.phase = 'Initializing';
    run.detail = 'creating the primary workload and Services';
    await run.commit();
    run.event('Normal', 'Initializing', `Initializing: creating ${run.info.primaryName}`);
  }
  await run.deps.services.ensureBackends(run.canary, run.info, run.signal);
  if (run.router.meshObjectsFirst) await run.router.reconcile(run.canary, run.info, run.a, run.signal);
  await run.target.ensurePrimary(run.canary, run.info, run.signal);
  const ready = run.target.primaryReadiness(run.canary, run.a.primaryReadyThreshold);
  if (!ready.ready) {
    run.detail = `waiting for ${run.info.primaryName}: ${ready.reason}`;
    if (ready.fatal) {
      run.event('Warning', 'PrimaryNotReady', run.detail);
      run.alert('TargetNotReady', { target: run.info.primaryName, detail: run.detail });
    }
    await run.commit();
    return undefined;
  }
  await run.deps.services.ensureApex(run.canary, run.info, run.signal);
  await run.router.reconcile(run.canary, run.info, run.a, run.signal);
  await run.target.scaleCanary(run.canary, false, run.signal);
  Object.assign(run.status, {
    phase: 'Initialized',
    canaryWeight: 0,
    failedChecks: 0,
    iterations: 0,
    mirrored: false,
    lastAppliedSpec: run.info.revision,
    lastPromotedSpec: run.info.revision,
    trackedConfigs: run.info.configs.checksums,
  });
  run.detail = `revision ${run.info.revision} runs as ${run.info.primaryName}`;
  await run.commit();
  run.event('Normal', 'Initialized', `Initialization done: ${run.info.primaryName} serves revision ${run.info.revision}`);
  run.alert('Initialized', { target: `${run.target.kind}/${run.info.name}` });
  return undefined;
}
