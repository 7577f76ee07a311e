import { CAPABILITIES } from '@tollgate/contract/capabilities';
import type { Mesh } from '../mesh.js';
import { TRAEFIK_QUERIES } from './queries.js';
import { TraefikRouter } from './router.js';

export const traefik: Mesh<'traefik'> = {
  name: 'traefik',
  providers: {
    traefik: { capabilities: CAPABILITIES.traefik, router: (deps) => new TraefikRouter(deps), queries: TRAEFIK_QUERIES },
  },
};
