import { CAPABILITIES } from '@tollgate/contract/capabilities';
import type { Mesh } from '../mesh.js';
import { KNATIVE_QUERIES } from './queries.js';
import { KnativeRouter } from './router.js';

/** Knative Serving: the split between two Revisions of the target Knative Service, in its spec.traffic. */
export const knative: Mesh<'knative'> = {
  name: 'knative',
  providers: {
    knative: { capabilities: CAPABILITIES.knative, router: (deps) => new KnativeRouter(deps), queries: KNATIVE_QUERIES },
  },
};
