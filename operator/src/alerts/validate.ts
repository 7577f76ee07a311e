import { ALERT_PROVIDER_TYPES } from '../api/crd/alert-provider.js';
import type { AlertProvider } from '../api/types.js';
import { isAlertProviderType } from './factory.js';
import { builtinProxySupported, isHttpUrl } from './http.js';
import { templateProblems } from './messages.js';

/**
 * What keeps an AlertProvider from delivering as it should, as far as its spec tells (the Secret is read
 * when sending), for the controller to report in a condition. Empty when it is usable. The messages never
 * quote the address or the proxy: they may hold credentials.
 */
export function validateAlertProvider(spec: AlertProvider['spec']): string[] {
  const { blocking, template } = alertProviderProblems(spec);
  return [...blocking, ...template];
}

/**
 * The same, split: `blocking` problems stop delivery; with `template` problems alerts still go out, with
 * the default text.
 */
export function alertProviderProblems(spec: AlertProvider['spec']): { blocking: string[]; template: string[] } {
  const blocking: string[] = [];
  if (!isAlertProviderType(spec.type)) {
    blocking.push(`spec.type ${JSON.stringify(spec.type)} is not supported (supported: ${ALERT_PROVIDER_TYPES.join(', ')})`);
  }
  if (!spec.address && !spec.secretRef?.name) blocking.push('spec.address or spec.secretRef (a Secret with an address key) is required');
  if (spec.address && !isHttpUrl(spec.address)) blocking.push('spec.address is not an http(s) URL');
  if (spec.proxy) {
    if (!isHttpUrl(spec.proxy)) blocking.push('spec.proxy is not an http(s) URL');
    else if (!builtinProxySupported())
      blocking.push(`spec.proxy needs Node.js >= 22.21 or >= 24.5 (the operator runs ${process.versions.node})`);
  }
  const template = spec.template ? templateProblems(spec.template).map((p) => `spec.template: ${p}; alerts use the default text`) : [];
  return { blocking, template };
}
