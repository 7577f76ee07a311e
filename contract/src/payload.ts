import { z } from 'zod';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A namespace name as Kubernetes spells it (a DNS label). */
const namespaceSchema = z.string().max(63).regex(DNS_LABEL, 'must be a Kubernetes namespace name (lowercase letters, digits and "-")');

/** A canary by namespace and name; both are checked as Kubernetes names, so they are safe in object names. */
export const canaryRefSchema = z.object({
  name: z.string().max(253).regex(DNS_SUBDOMAIN, 'must be a Kubernetes object name (lowercase letters, digits, "-" and ".")'),
  namespace: namespaceSchema,
});

export type CanaryRef = z.infer<typeof canaryRefSchema>;

/**
 * What Flagger and the Tollgate operator POST to a webhook. Only name and namespace are guaranteed; Flagger
 * marshals an absent metadata map as null. Unknown fields are kept, so newer operators do not break older hooks.
 * The operator sends every field (SentWebhookPayload; hooks/README.md lists them).
 */
export const webhookPayloadSchema = z.looseObject({
  ...canaryRefSchema.shape,
  phase: z.string().max(64).optional(),
  checksum: z.string().max(1024).optional(),
  metadata: z
    .record(z.string(), z.string({ error: 'metadata values must be strings' }))
    .nullable()
    .optional(),
  type: z.string().max(64).optional(),
  canaryWeight: z.number().optional(),
  iteration: z.number().optional(),
  revision: z.string().optional(),
  failedChecks: z.number().optional(),
  timestamp: z.union([z.string(), z.number()]).optional(),
});

export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

/**
 * What the Tollgate operator sends: every field of webhookPayloadSchema, required, so that the operator cannot
 * stop sending one without a compile error. `Phase` is the sender's union of canary phases.
 */
export type SentWebhookPayload<Phase extends string = string> = {
  name: string;
  namespace: string;
  phase: Phase;
  checksum: string;
  metadata: Record<string, string>;
  type: string;
  canaryWeight: number;
  iteration: number;
  revision: string;
  failedChecks: number;
  timestamp: string;
};

/** Compile-time checks: what the operator sends is what hooks receive, and it sends every field hooks read. */
type Assignable<T extends U, U> = T;
type _SentIsReceived = Assignable<SentWebhookPayload, WebhookPayload>;
type _EveryFieldSent = Assignable<keyof typeof webhookPayloadSchema.shape, keyof SentWebhookPayload>;
