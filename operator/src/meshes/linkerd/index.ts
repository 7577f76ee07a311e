import { CAPABILITIES } from '@tollgate/contract/capabilities';
import type { Mesh } from '../mesh.js';
import { LINKERD_QUERIES } from './queries.js';
import { LinkerdRouter } from './router.js';

export const linkerd: Mesh<'linkerd'> = {
  name: 'linkerd',
  providers: {
    linkerd: { capabilities: CAPABILITIES.linkerd, router: (deps) => new LinkerdRouter(deps), queries: LINKERD_QUERIES },
  },
};
