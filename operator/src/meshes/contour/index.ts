import { CAPABILITIES } from '@tollgate/contract/capabilities';
import type { Mesh } from '../mesh.js';
import { CONTOUR_QUERIES } from './queries.js';
import { ContourRouter } from './router.js';

export const contour: Mesh<'contour'> = {
  name: 'contour',
  providers: {
    contour: { capabilities: CAPABILITIES.contour, router: (deps) => new ContourRouter(deps), queries: CONTOUR_QUERIES },
  },
};
