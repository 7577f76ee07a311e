import { CAPABILITIES } from '@tollgate/contract/capabilities';
import type { Mesh } from '../mesh.js';
import { APISIX_QUERIES } from './queries.js';
import { ApisixRouter } from './router.js';

export const apisix: Mesh<'apisix'> = {
  name: 'apisix',
  providers: {
    apisix: { capabilities: CAPABILITIES.apisix, router: (deps) => new ApisixRouter(deps), queries: APISIX_QUERIES },
  },
};
