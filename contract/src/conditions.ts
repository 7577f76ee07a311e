/*
 * The conditions the operator sets on a Canary's status, and the reasons it gives that are not a phase's name
 * (a condition whose reason is a phase carries status.phase). Readers (the CLI, scripts) decide from these,
 * never from a condition's message.
 */

export const CONDITION_TYPES = {
  /** kstatus: the latest revision is promoted and nothing blocks the Canary. */
  ready: 'Ready',
  /** kstatus: a release is in progress. */
  reconciling: 'Reconciling',
  /** kstatus: the Canary cannot progress without a change (failed, invalid, blocked). */
  stalled: 'Stalled',
  /** Flagger's condition, for scripts that wait on it. */
  promoted: 'Promoted',
  /** False when a field of the spec is accepted but not acted upon. */
  supported: 'Supported',
  /** False while a metric source is unreachable or misconfigured. */
  metricsAvailable: 'MetricsAvailable',
} as const;

export const REASONS = {
  /** Ready=False: the analysis is held by the paused annotation (tollgate.dev/paused=true). */
  paused: 'Paused',
  /** Ready=False: the new revision waits in the release queue for a slot (its message names its place). */
  queued: 'Queued',
  /** Supported=False: the tollgate.dev/priority annotation has a value that is not a priority. */
  invalidPriority: 'InvalidPriority',
  /** Ready=False after a promotion: the target has a revision not promoted yet. */
  newRevision: 'NewRevision',
  /** The release was rolled back. */
  failed: 'Failed',
  /** Reconciling=False. */
  idle: 'Idle',
  /** Stalled=False. */
  healthy: 'Healthy',
  /** MetricsAvailable=True. */
  measured: 'Measured',
  /** Supported=True. */
  allFieldsSupported: 'AllFieldsSupported',
} as const;
