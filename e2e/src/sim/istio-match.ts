/** Request matching for the data-plane stand-in: Istio's HTTPMatchRequest, Gateway API's HTTPRouteMatch, App Mesh and Contour conditions, Gloo matchers, APISIX rules, Emissary Mappings. */
type StringMatch = { exact?: string; prefix?: string; regex?: string; suffix?: string };
type Json = Record<string, unknown>;
export interface SyntheticRequest {
  path: string;
  method: string;
  headers: Record<string, string>;
}
export type Matcher = (req: SyntheticRequest) => boolean;

function stringMatches(m: StringMatch, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (m.exact !== undefined) return value === m.exact;
  if (m.prefix !== undefined) return value.startsWith(m.prefix);
  if (m.suffix !== undefined) return value.endsWith(m.suffix);
  if (m.regex !== undefined) return new RegExp(`^(?:${m.regex})$`).test(value);
  return true;
}

/** Istio: a rule applies when it has no match, or any of its HTTPMatchRequests holds (uri and headers). */
export function istioMatcher(matches: Json[] | undefined): Matcher {
  if (!matches?.length) return () => true;
  return (req) =>
    matches.some((m) => {
      if (m.uri && !stringMatches(m.uri as StringMatch, req.path)) return false;
      return Object.entries((m.headers ?? {}) as Record<string, StringMatch>).every(([k, sm]) =>
        stringMatches(sm, req.headers[k.toLowerCase()]),
      );
    });
}

function typed(type: string | undefined, value: string, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  if (type === 'RegularExpression') return new RegExp(value).test(actual);
  if (type === 'PathPrefix') return actual === value || actual.startsWith(value.endsWith('/') ? value : `${value}/`) || value === '/';
  return actual === value;
}

/** Gateway API: any HTTPRouteMatch (path, headers, method) holds; no matches means all requests. */
export function httpRouteMatcher(matches: Json[] | undefined): Matcher {
  if (!matches?.length) return () => true;
  return (req) =>
    matches.some((m) => {
      const path = m.path as { type?: string; value?: string } | undefined;
      if (path?.value !== undefined && !typed(path.type ?? 'PathPrefix', path.value, req.path)) return false;
      if (m.method && m.method !== req.method) return false;
      return ((m.headers ?? []) as { name: string; type?: string; value: string }[]).every((h) =>
        typed(h.type ?? 'Exact', h.value, req.headers[h.name.toLowerCase()]),
      );
    });
}

/** An ALB value with * (any characters) and ? (one character) wildcards, matched case-insensitively as ALB does. */
const albWildcard = (value: string): RegExp =>
  new RegExp(
    `^${value
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );

/** AWS Load Balancer Controller conditions: every http-header condition holds (any of its values); no conditions: all. */
export function albMatcher(conditions: Json[] | undefined): Matcher {
  const headers = (conditions ?? []).map((c) => c.httpHeaderConfig as { httpHeaderName?: string; values?: string[] } | undefined);
  return (req) =>
    headers.every((h) => {
      const actual = req.headers[String(h?.httpHeaderName ?? '').toLowerCase()];
      return actual !== undefined && (h?.values ?? []).some((v) => albWildcard(v).test(actual));
    });
}

/** App Mesh: path prefix and header conditions. */
export function appMeshMatcher(match: Json | undefined): Matcher {
  return (req) => {
    const prefix = (match?.prefix as string | undefined) ?? '/';
    if (!req.path.startsWith(prefix)) return false;
    return ((match?.headers ?? []) as { name: string; match?: StringMatch }[]).every((h) =>
      stringMatches(h.match ?? {}, req.headers[h.name.toLowerCase()]),
    );
  };
}

/**
 * ingress-nginx's canary annotations: canary-by-header (its value, its pattern, or "always"/"never"), then
 * canary-by-cookie ("always"/"never"); undefined when neither decides (the weight does then).
 */
export function nginxCanaryMatcher(annotations: Record<string, string>): (req: SyntheticRequest) => 'canary' | 'main' | undefined {
  const a = (k: string): string | undefined => annotations[`nginx.ingress.kubernetes.io/${k}`];
  const header = a('canary-by-header')?.toLowerCase();
  const value = a('canary-by-header-value');
  const pattern = a('canary-by-header-pattern');
  const cookie = a('canary-by-cookie');
  const always = (v: string | undefined): 'canary' | 'main' | undefined => (v === 'always' ? 'canary' : v === 'never' ? 'main' : undefined);
  return (req) => {
    const h = header === undefined ? undefined : req.headers[header];
    if (h !== undefined) {
      if (value !== undefined) {
        if (h === value) return 'canary';
      } else if (pattern !== undefined) {
        if (new RegExp(pattern).test(h)) return 'canary';
      } else if (always(h)) return always(h);
    }
    const c = cookie === undefined ? undefined : cookieValue(req.headers.cookie, cookie);
    return always(c);
  };
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}
/** A Contour header or query parameter condition on a value (undefined: absent); regular expressions match the whole value. */
function contourValue(c: Json, value: string | undefined): boolean {
  if (c.notpresent === true) return value === undefined;
  if (value === undefined) return false;
  if (c.exact !== undefined) return value === c.exact;
  if (c.contains !== undefined) return value.includes(String(c.contains));
  if (c.prefix !== undefined) return value.startsWith(String(c.prefix));
  if (c.suffix !== undefined) return value.endsWith(String(c.suffix));
  if (c.regex !== undefined) return new RegExp(`^(?:${String(c.regex)})$`).test(value);
  return true;
}

/** Contour: every condition of a route holds (ANDed): its path condition (prefix, exact, regex), headers, query parameters. */
export function contourMatcher(conditions: Json[] | undefined): Matcher {
  return (req) => {
    const [path = '/', query = ''] = req.path.split('?');
    const params = new URLSearchParams(query);
    return (conditions ?? []).every((c) => {
      if (c.prefix !== undefined) return path.startsWith(String(c.prefix));
      if (c.exact !== undefined) return path === c.exact;
      if (c.regex !== undefined) return new RegExp(`^(?:${String(c.regex)})$`).test(path);
      const h = c.header as Json | undefined;
      if (h) return contourValue(h, req.headers[String(h.name).toLowerCase()]);
      const q = c.queryParameter as Json | undefined;
      if (q) return contourValue(q, params.get(String(q.name)) ?? undefined);
      return true;
    });
  };
}

/** A Gloo header or query parameter matcher: a value (exact, or a regex matching all of it when regex), none is presence. */
function glooValue(m: Json, actual: string | undefined): boolean {
  if (actual === undefined) return m.invertMatch === true;
  const value = m.value === undefined || m.value === '' ? undefined : String(m.value);
  const hit = value === undefined || (m.regex === true ? new RegExp(`^(?:${value})$`).test(actual) : actual === value);
  return m.invertMatch === true ? !hit : hit;
}

/** Gloo: any matcher holds (none means every request); in one, the path, methods, headers and query parameters ANDed. */
export function glooMatcher(matchers: Json[] | undefined): Matcher {
  if (!matchers?.length) return () => true;
  return (req) => {
    const [path = '/', query = ''] = req.path.split('?');
    const params = new URLSearchParams(query);
    return matchers.some((m) => {
      if (m.prefix !== undefined && !path.startsWith(String(m.prefix))) return false;
      if (m.exact !== undefined && path !== m.exact) return false;
      if (m.regex !== undefined && !new RegExp(`^(?:${String(m.regex)})$`).test(path)) return false;
      const methods = (m.methods ?? []) as string[];
      if (methods.length && !methods.includes(req.method)) return false;
      const headers = (m.headers ?? []) as Json[];
      const query = (m.queryParameters ?? []) as Json[];
      return (
        headers.every((h) => glooValue(h, req.headers[String(h.name).toLowerCase()])) &&
        query.every((q) => glooValue(q, params.get(String(q.name)) ?? undefined))
      );
    });
  };
}

/** An APISIX expression on a header or query parameter (Equal, NotEqual, RegexMatch, In, NotIn); other subjects never hold. */
function apisixExpr(e: Json, req: SyntheticRequest, params: URLSearchParams): boolean {
  const subject = (e.subject ?? {}) as { scope?: string; name?: string };
  const name = String(subject.name ?? '');
  const actual =
    subject.scope === 'Header' ? req.headers[name.toLowerCase()] : subject.scope === 'Query' ? (params.get(name) ?? undefined) : undefined;
  const set = ((e.set ?? []) as string[]).map(String);
  switch (e.op) {
    case 'Equal':
      return actual === e.value;
    case 'NotEqual':
      return actual !== e.value;
    case 'RegexMatch':
      return actual !== undefined && new RegExp(String(e.value)).test(actual);
    case 'In':
      return actual !== undefined && set.includes(actual);
    case 'NotIn':
      return actual === undefined || !set.includes(actual);
    default:
      return false;
  }
}

/** APISIX: a rule's paths (exact, or a prefix ending in *), methods and every expression hold. */
export function apisixMatcher(match: Json | undefined): Matcher {
  return (req) => {
    const [path = '/', query = ''] = req.path.split('?');
    const params = new URLSearchParams(query);
    const paths = (match?.paths ?? []) as string[];
    const methods = (match?.methods ?? []) as string[];
    if (paths.length && !paths.some((p) => (p.endsWith('*') ? path.startsWith(p.slice(0, -1)) : path === p))) return false;
    if (methods.length && !methods.includes(req.method)) return false;
    return ((match?.exprs ?? []) as Json[]).every((e) => apisixExpr(e, req, params));
  };
}

/** Emissary's string maps of a Mapping: each name's value must equal (or, regex, fully match) the request's. */
function allHold(conditions: unknown, actual: (name: string) => string | undefined, regex: boolean): boolean {
  return Object.entries((conditions ?? {}) as Record<string, string>).every(([name, want]) => {
    const got = actual(name);
    return got !== undefined && (regex ? new RegExp(`^(?:${want})$`).test(got) : got === want);
  });
}

/** Emissary: a Mapping's prefix, method, headers, regex_headers, query_parameters and regex_query_parameters all hold. */
export function emissaryMatcher(spec: Json): Matcher {
  return (req) => {
    const [path = '/', query = ''] = req.path.split('?');
    const params = new URLSearchParams(query);
    const param = (name: string): string | undefined => params.get(name) ?? undefined;
    const header = (name: string): string | undefined => req.headers[name.toLowerCase()];
    if (!path.startsWith(String(spec.prefix ?? '/'))) return false;
    if (spec.method !== undefined && spec.method !== req.method) return false;
    return (
      allHold(spec.headers, header, false) &&
      allHold(spec.regex_headers, header, true) &&
      allHold(spec.query_parameters, param, false) &&
      allHold(spec.regex_query_parameters, param, true)
    );
  };
}
