import { CAPABILITIES } from '@tollgate/contract/capabilities';
import type { Mesh } from '../mesh.js';
import { IN_PLACE_ISTIO_QUERIES, ISTIO_QUERIES } from './queries.js';
import { IstioRouter } from './router.js';

export const istio: Mesh<'istio'> = {
  name: 'istio',
  providers: {
    istio: {
      capabilities: CAPABILITIES.istio,
      router: (deps) => new IstioRouter(deps),
      queries: ISTIO_QUERIES,
      inPlaceQueries: IN_PLACE_ISTIO_QUERIES,
    },
  },
};
