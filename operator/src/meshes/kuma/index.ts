import { CAPABILITIES } from '@tollgate/contract/capabilities';
import type { Mesh } from '../mesh.js';
import { KUMA_QUERIES } from './queries.js';
import { KumaRouter } from './router.js';

export const kuma: Mesh<'kuma'> = {
  name: 'kuma',
  providers: {
    kuma: { capabilities: CAPABILITIES.kuma, router: (deps) => new KumaRouter(deps), queries: KUMA_QUERIES },
  },
};
