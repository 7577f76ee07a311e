import { CAPABILITIES } from '@tollgate/contract/capabilities';
import type { Mesh } from '../mesh.js';
import { OSM_QUERIES } from './queries.js';
import { SmiRouter } from './router.js';

/** SMI's TrafficSplit in each version, and OSM (v1alpha2 with OSM's own metrics). */
export const smi: Mesh<'smi:v1alpha1' | 'smi:v1alpha2' | 'smi:v1alpha3' | 'smi:v1alpha4' | 'osm'> = {
  name: 'smi',
  providers: {
    'smi:v1alpha1': {
      capabilities: CAPABILITIES['smi:v1alpha1'],
      router: (deps) => new SmiRouter('smi:v1alpha1', 'v1alpha1', deps),
      queries: undefined,
    },
    'smi:v1alpha2': {
      capabilities: CAPABILITIES['smi:v1alpha2'],
      router: (deps) => new SmiRouter('smi:v1alpha2', 'v1alpha2', deps),
      queries: undefined,
    },
    'smi:v1alpha3': {
      capabilities: CAPABILITIES['smi:v1alpha3'],
      router: (deps) => new SmiRouter('smi:v1alpha3', 'v1alpha3', deps),
      queries: undefined,
    },
    'smi:v1alpha4': {
      capabilities: CAPABILITIES['smi:v1alpha4'],
      router: (deps) => new SmiRouter('smi:v1alpha4', 'v1alpha4', deps),
      queries: undefined,
    },
    osm: { capabilities: CAPABILITIES.osm, router: (deps) => new SmiRouter('osm', 'v1alpha2', deps), queries: OSM_QUERIES },
  },
};
