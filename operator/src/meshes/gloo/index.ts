import { CAPABILITIES } from '@tollgate/contract/capabilities';
import type { Mesh } from '../mesh.js';
import { GLOO_QUERIES } from './queries.js';
import { GlooRouter } from './router.js';

export const gloo: Mesh<'gloo'> = {
  name: 'gloo',
  providers: {
    gloo: { capabilities: CAPABILITIES.gloo, router: (deps) => new GlooRouter(deps), queries: GLOO_QUERIES },
  },
};
