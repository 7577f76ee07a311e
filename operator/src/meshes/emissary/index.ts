import { CAPABILITIES } from '@tollgate/contract/capabilities';
import type { Mesh } from '../mesh.js';
import { EmissaryRouter } from './router.js';

/**
 * Emissary-ingress (`ambassador` is its former name, as Argo Rollouts calls it): a `<mapping>-canary` clone of the
 * user's Mapping. No built-in queries: Emissary's Envoy cluster names are derived from the service string and
 * shortened with a hash past a length, so no fixed query finds the canary's; MetricTemplates carry the checks.
 */
export const emissary: Mesh<'emissary' | 'ambassador'> = {
  name: 'emissary',
  providers: {
    emissary: { capabilities: CAPABILITIES.emissary, router: (deps) => new EmissaryRouter('emissary', deps), queries: undefined },
    ambassador: { capabilities: CAPABILITIES.ambassador, router: (deps) => new EmissaryRouter('ambassador', deps), queries: undefined },
  },
};
