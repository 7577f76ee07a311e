import { CAPABILITIES } from '@tollgate/contract/capabilities';
import { IngressCloneRouter } from '../ingress.js';
import type { Mesh } from '../mesh.js';
import { NGINX_QUERIES } from './queries.js';
import { NGINX_CLONE } from './spec.js';

/** NGINX Ingress: a canary clone of the user's Ingress (spec.ingressRef) with ingress-nginx's canary annotations. */
export const nginx: Mesh<'nginx'> = {
  name: 'nginx',
  providers: {
    nginx: {
      capabilities: CAPABILITIES.nginx,
      router: (deps) => new IngressCloneRouter('nginx', NGINX_CLONE, deps),
      queries: NGINX_QUERIES,
    },
  },
};
