import { alertProviderCrd } from './alert-provider.js';
import { canaryCrd } from './canary.js';
import { metricTemplateCrd } from './metric-template.js';
import type { Schema } from './schema.js';

/** The project's CRDs, keyed by the file they are written to under crds/. */
export function allCrds(): Record<string, Schema> {
  return {
    'canaries.yaml': canaryCrd(),
    'metrictemplates.yaml': metricTemplateCrd(),
    'alertproviders.yaml': alertProviderCrd(),
  };
}
