import type { StringMatch } from '../api/types.js';
import { escapeRegex } from '../util/regex.js';

/**
 * A prefix or suffix match as a regular expression over the whole value, for planes that match headers by exact
 * value or regex only; `anchored` adds ^ and $ for planes whose regexes may match part of the value. Undefined for
 * other matches.
 */
export function affixRegex(m: StringMatch, anchored = false): string | undefined {
  if (m.prefix !== undefined) return `${anchored ? '^' : ''}${escapeRegex(m.prefix)}.*`;
  if (m.suffix !== undefined) return `.*${escapeRegex(m.suffix)}${anchored ? '$' : ''}`;
  return undefined;
}
