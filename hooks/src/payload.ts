import type { z } from 'zod';
import type { CanaryRef, WebhookPayload } from '@tollgate/contract/payload';

/** The payload's schema and types are the contract's (@tollgate/contract/payload); re-exported for hooks' modules. */
export type { CanaryRef, WebhookPayload };

/** Which release run a payload belongs to: the checksum (Flagger), else the revision; empty when neither is sent. */
export const runIdOf = (p: WebhookPayload): string => p.checksum || p.revision || '';

/** "path: message" for each zod issue. */
export function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`);
}
