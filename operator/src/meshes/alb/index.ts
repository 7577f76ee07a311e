import { CAPABILITIES } from '@tollgate/contract/capabilities';
import type { Mesh } from '../mesh.js';
import { AlbRouter } from './router.js';

/**
 * ALB (AWS Load Balancer Controller): the forward action annotation of the user's Ingress (spec.ingressRef). No
 * built-in queries: the ALB's metrics are CloudWatch's, read through a MetricTemplate.
 */
export const alb: Mesh<'alb'> = {
  name: 'alb',
  providers: {
    alb: { capabilities: CAPABILITIES.alb, router: (deps) => new AlbRouter(deps), queries: undefined },
  },
};
