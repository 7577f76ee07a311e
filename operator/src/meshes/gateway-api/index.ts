import { CAPABILITIES } from '@tollgate/contract/capabilities';
import type { Mesh } from '../mesh.js';
import { gatewayApiRouter } from './router.js';

/** Gateway API's HTTPRoute; no built-in queries: the metrics depend on the implementation behind it. */
export const gatewayApi: Mesh<'gatewayapi:v1' | 'gatewayapi:v1beta1'> = {
  name: 'gateway-api',
  providers: {
    'gatewayapi:v1': { capabilities: CAPABILITIES['gatewayapi:v1'], router: (deps) => gatewayApiRouter('v1', deps), queries: undefined },
    'gatewayapi:v1beta1': {
      capabilities: CAPABILITIES['gatewayapi:v1beta1'],
      router: (deps) => gatewayApiRouter('v1beta1', deps),
      queries: undefined,
    },
  },
};
