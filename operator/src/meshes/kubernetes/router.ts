import type { Router, Routes } from '../router.js';

/**
 * The kubernetes provider: no mesh, only the generated Services. The apex always selects the primary,
 * so traffic cannot be split: releases run blue/green, the switch being the primary's rolling update.
 */
export class KubernetesRouter implements Router {
  readonly provider = 'kubernetes';

  reconcile(): Promise<void> {
    return Promise.resolve();
  }

  setRoutes(): Promise<void> {
    return Promise.resolve();
  }

  getRoutes(): Promise<Routes | undefined> {
    return Promise.resolve(undefined);
  }

  finalize(): Promise<void> {
    return Promise.resolve();
  }
}
