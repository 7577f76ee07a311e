import { CAPABILITIES } from '@tollgate/contract/capabilities';
import type { Mesh } from '../mesh.js';
import { ENVOY_QUERIES } from './queries.js';
import { AppMeshRouter } from './router.js';

export const appMesh: Mesh<'appmesh' | 'appmesh:v1beta2'> = {
  name: 'appmesh',
  providers: {
    appmesh: { capabilities: CAPABILITIES.appmesh, router: (deps) => new AppMeshRouter('appmesh', deps), queries: ENVOY_QUERIES },
    'appmesh:v1beta2': {
      capabilities: CAPABILITIES['appmesh:v1beta2'],
      router: (deps) => new AppMeshRouter('appmesh:v1beta2', deps),
      queries: ENVOY_QUERIES,
    },
  },
};
