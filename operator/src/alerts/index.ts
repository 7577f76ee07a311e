/** Alerting: what the controller imports. See dispatcher.ts for the entry point. */
export { AlertDispatcher, DEDUP_WINDOW_MS, type AlertDispatcherDeps, type AlertOutcome, type AlertResult, type DispatchSummary } from './dispatcher.js';
export { createNotifier, isAlertProviderType, UnknownAlertProviderError, type AlertProviderType } from './factory.js';
export {
  ALERT_EVENTS, ALERT_KINDS, alertOf, alertText, failingMetricOf, metricText, renderText, templateProblems, TEMPLATE_PLACEHOLDERS,
  type AlertContext, type AlertKind,
} from './messages.js';
export {
  AlertDeliveryError, severityAccepts, type FailingMetric, type Notification, type NotificationField, type Notifier, type NotifierConfig,
  type Severity,
} from './notifier.js';
export { alertProviderProblems, validateAlertProvider } from './validate.js';
