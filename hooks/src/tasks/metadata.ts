import { parseDuration } from '@tollgate/operator/api/duration';
import { z } from 'zod';
import { RejectedError } from '../errors.js';
import { problemsOf } from '../payload.js';

export class InvalidMetadataError extends RejectedError {
  constructor(type: string, problems: string[]) {
    super('invalid_metadata', `invalid metadata for task type "${type}": ${problems.join('; ')}`, { problems });
    this.name = 'InvalidMetadataError';
  }
}

const TRUE = ['1', 't', 'T', 'true', 'TRUE', 'True'];
const FALSE = ['0', 'f', 'F', 'false', 'FALSE', 'False'];

/** A boolean written as Go's strconv.ParseBool reads it (Flagger's metadata flags); absent is false. */
export const boolFlag = z
  .enum([...TRUE, ...FALSE] as [string, ...string[]], { error: 'must be true or false' })
  .optional()
  .transform((v) => v !== undefined && TRUE.includes(v));

/** A Go duration ("30s", "1m30s") as milliseconds, > 0. */
export const durationMs = z.string().transform((v, ctx) => {
  try {
    const ms = parseDuration(v);
    if (ms > 0) return ms;
    ctx.addIssue({ code: 'custom', message: 'must be more than 0' });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
  return z.NEVER;
});

/** An integer written as a string, within bounds. */
export const intString = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().min(min).max(max));

export const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** Parses metadata with a schema, or throws InvalidMetadataError listing every problem. */
export function parseMetadata<S extends z.ZodType>(type: string, schema: S, metadata: unknown): z.output<S> {
  const parsed = schema.safeParse(metadata);
  if (!parsed.success) throw new InvalidMetadataError(type, problemsOf(parsed.error));
  return parsed.data;
}
