import { CAPABILITIES } from '@tollgate/contract/capabilities';
import type { Mesh } from '../mesh.js';
import { APPLICATION_QUERIES, IN_PLACE_APPLICATION_QUERIES } from './queries.js';
import { KubernetesRouter } from './router.js';

export const kubernetes: Mesh<'kubernetes'> = {
  name: 'kubernetes',
  providers: {
    kubernetes: {
      capabilities: CAPABILITIES.kubernetes,
      router: () => new KubernetesRouter(),
      queries: APPLICATION_QUERIES,
      inPlaceQueries: IN_PLACE_APPLICATION_QUERIES,
    },
  },
};
