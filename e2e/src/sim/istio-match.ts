/** Just enough of Istio's HTTPMatchRequest to route synthetic requests: uri and headers, exact/prefix/regex. */
type StringMatch = { exact?: string; prefix?: string; regex?: string; suffix?: string };
export interface SyntheticRequest { path: string; headers: Record<string, string> }

function matches(m: StringMatch, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (m.exact !== undefined) return value === m.exact;
  if (m.prefix !== undefined) return value.startsWith(m.prefix);
  if (m.suffix !== undefined) return value.endsWith(m.suffix);
  if (m.regex !== undefined) return new RegExp(`^(?:${m.regex})$`).test(value);
  return true;
}

/** Whether a request satisfies one HTTPMatchRequest (all its conditions). */
export function matchRequest(match: Record<string, unknown>, req: SyntheticRequest): boolean {
  if (match.uri && !matches(match.uri as StringMatch, req.path)) return false;
  for (const [name, m] of Object.entries((match.headers ?? {}) as Record<string, StringMatch>)) {
    if (!matches(m, req.headers[name.toLowerCase()])) return false;
  }
  return true;
}

/** Whether a rule applies: no match list, or any of its matches. */
export function ruleApplies(rule: Record<string, unknown>, req: SyntheticRequest): boolean {
  const list = rule.match as Record<string, unknown>[] | undefined;
  return !list?.length || list.some((m) => matchRequest(m, req));
}
