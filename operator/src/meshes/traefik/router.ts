import type { Canary } from '../../api/types.js';
import { Resources } from '../../kube/resources.js';
import { ApexRouter } from '../apex-router.js';
import type { RouterDeps, RouterValidation } from '../router.js';
import { routesOfTraefikService, traefikServiceSpec, validateForTraefik } from './spec.js';

/**
 * Traefik: a TraefikService `<apex>` weighing the -primary and -canary Services; the user's IngressRoute routes to
 * it. It has no rule layout: the strategy changes nothing but the weights. One that existed before the Canary is
 * adopted, its original spec kept for finalize.
 */
export class TraefikRouter extends ApexRouter {
  constructor(deps: RouterDeps) {
    super('traefik', deps, { resource: Resources.traefikServices, spec: traefikServiceSpec, routesOf: routesOfTraefikService });
  }

  validate(canary: Canary): RouterValidation {
    return validateForTraefik(canary);
  }
}
