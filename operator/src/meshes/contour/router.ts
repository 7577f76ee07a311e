import type { Canary } from '../../api/types.js';
import { Resources } from '../../kube/resources.js';
import { ApexRouter } from '../apex-router.js';
import type { RouterDeps, RouterValidation, RouteStrategy } from '../router.js';
import { httpProxySpec, routesOfHttpProxy, validateForContour } from './spec.js';

/**
 * Contour: an HTTPProxy `<apex>` (no virtualhost; the user's root HTTPProxy includes it) splitting between the
 * -primary and -canary Services. service.apex.annotations carry projectcontour.io/ingress.class (Flagger's
 * -ingress-class) where one is needed. One that existed before the Canary is adopted, its original spec kept for finalize.
 */
export class ContourRouter extends ApexRouter {
  constructor(deps: RouterDeps) {
    super('contour', deps, { resource: Resources.httpProxies, spec: httpProxySpec, routesOf: routesOfHttpProxy });
  }

  validate(canary: Canary, strategy: RouteStrategy): RouterValidation {
    return validateForContour(canary, strategy);
  }
}
