import { CAPABILITIES } from '@tollgate/contract/capabilities';
import { IngressCloneRouter } from '../ingress.js';
import type { Mesh } from '../mesh.js';
import { SKIPPER_QUERIES } from './queries.js';
import { SKIPPER_CLONE } from './spec.js';

/** Skipper: a clone of the user's Ingress (spec.ingressRef) splitting by zalando.org/backend-weights. */
export const skipper: Mesh<'skipper'> = {
  name: 'skipper',
  providers: {
    skipper: {
      capabilities: CAPABILITIES.skipper,
      router: (deps) => new IngressCloneRouter('skipper', SKIPPER_CLONE, deps),
      queries: SKIPPER_QUERIES,
    },
  },
};
