import { CAPABILITIES } from '@tollgate/contract/capabilities';
import type { Mesh } from '../mesh.js';
import { SKIPPER_QUERIES } from './queries.js';
import { SkipperRouter } from './router.js';

/** Skipper: a clone of the user's Ingress (spec.ingressRef) splitting by zalando.org/backend-weights. */
export const skipper: Mesh<'skipper'> = {
  name: 'skipper',
  providers: {
    skipper: { capabilities: CAPABILITIES.skipper, router: (deps) => new SkipperRouter(deps), queries: SKIPPER_QUERIES },
  },
};
