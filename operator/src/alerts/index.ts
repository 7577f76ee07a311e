/** Alerting: what the controller imports. See dispatcher.ts for the entry point. */
export { AlertDispatcher } from './dispatcher.js';
export { alertOf, failingMetricOf, type AlertContext, type AlertKind } from './messages.js';
