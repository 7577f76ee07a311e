/** The metric names with a built-in query (Flagger's): a Canary may list them without a templateRef or query. */
export const SUCCESS_RATE = 'request-success-rate';
export const DURATION = 'request-duration';
