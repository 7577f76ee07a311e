/**
 * The languages metric queries are written in, and how a placeholder's value is written into each so that it
 * stays a value: inside a quoted string it is escaped for that string; outside any string it must be a plain
 * token (a name, a number, a duration), because nothing can escape it there. Every metrics provider declares
 * its language (MetricProvider.queryLanguage).
 */
export type QueryLanguage = 'promql' | 'mql' | 'flux' | 'nrql' | 'datadog' | 'graphite' | 'json' | 'web';

/** Why a value cannot be written where its placeholder is. */
export class UnsafeValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeValueError';
  }
}

/** What may stand outside a string: letters, digits and _ . : - (names, numbers, durations such as 5m). */
const PLAIN_TOKEN = /^[A-Za-z0-9_.:-]*$/;

/**
 * Escapes a value for a string literal delimited by one quote; undefined when no escape exists (raw strings),
 * or why the value cannot stand there.
 */
type StringEscaper = (value: string, context: StringContext) => string | undefined | { refused: string };

interface StringContext {
  /** The query before the string. */
  before: string;
  /** The string's text (as written, escapes included) from its opening quote to the placeholder. */
  text: string;
}

interface Syntax {
  strings: Readonly<Record<string, StringEscaper>>;
  /** Quotes of raw strings: a backslash in them is not an escape. */
  raw?: string;
  /** Starts a comment that runs to the end of the line (quotes in it are not strings). */
  comment?: string;
  /** Applied to every value last (a query sent as a URL query string). */
  outer?: (value: string) => string;
}

const C_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const OTHER_CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Backslash escapes of C-like string literals (PromQL, MQL, Flux, NRQL, Graphite): \\, the quote, newline, CR
 * and tab; other control characters have no escape common to these languages and are refused.
 */
const backslashed =
  (quote: string) =>
  (value: string): string | undefined => {
    let out = '';
    for (const ch of value) out += ch === quote ? `\\${quote}` : (C_ESCAPES[ch] ?? ch);
    return OTHER_CONTROL.test(out) ? undefined : out;
  };

/** Flux also interpolates ${...} in strings. */
const flux: StringEscaper = (value) => backslashed('"')(value)?.replace(/\$\{/g, '\\${');

const jsonString = (value: string): string => JSON.stringify(value).slice(1, -1);

/** A raw string (PromQL backticks) has no escapes: a value holding its delimiter cannot be written into it. */
const raw =
  (quote: string): StringEscaper =>
  (value) =>
    value.includes(quote) ? undefined : value;

/** What a JSON string's text decodes to; undefined when it is not JSON string content. */
function decodedJson(text: string): string | undefined {
  try {
    return JSON.parse(`"${text}"`) as string;
  } catch {
    return undefined;
  }
}

/** Where a value stands in a CloudWatch metric-math expression, from the expression before it. */
type ExpressionPlace = 'code' | 'search' | 'string' | 'unknown';

/**
 * Scans a metric-math expression up to a placeholder: outside quotes (code), among the search terms of
 * SEARCH('…') outside an inner "exact phrase" (search), or in any other quoted string (string). A backslash
 * makes it unknown. Where the expression's own parser could read a quote either way, the stricter place wins.
 */
function expressionPlace(expr: string): ExpressionPlace {
  if (expr.includes('\\')) return 'unknown';
  let state: 'code' | 'double' | 'single' | 'phrase' = 'code';
  let search = false;
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i];
    if (state === 'code' && ch === "'") {
      state = 'single';
      search = /SEARCH\s*\(\s*$/i.test(expr.slice(0, i));
    } else if (state === 'code' && ch === '"') state = 'double';
    else if ((state === 'double' && ch === '"') || (state === 'single' && ch === "'") || (state === 'phrase' && ch === "'")) state = 'code';
    else if (state === 'single' && ch === '"') state = 'phrase';
    else if (state === 'phrase' && ch === '"') state = 'single';
  }
  if (state === 'code') return 'code';
  return state === 'single' && search ? 'search' : 'string';
}

const EXPRESSION_QUOTES = /['"\\]/;

/**
 * CloudWatch: the value of "Expression" is metric math (or a Metrics Insights query) with its own strings, so
 * JSON escaping alone would let a value end them. Outside its strings, and among SEARCH's search terms, a value
 * is a plain token; inside a string it may not hold ' " or \ (no escape exists for them).
 */
const cloudWatchString: StringEscaper = (value, ctx) => {
  if (!/"Expression"\s*:\s*$/.test(ctx.before)) return jsonString(value);
  const expr = decodedJson(ctx.text);
  const place = expr === undefined ? 'unknown' : expressionPlace(expr);
  if (place === 'unknown') return { refused: 'a value cannot follow a backslash in an "Expression"' };
  if (place === 'string') {
    return EXPRESSION_QUOTES.test(value) || OTHER_CONTROL.test(value)
      ? {
          refused: `the value ${JSON.stringify(value.slice(0, 64))} holds ' " \\ or a control character, which would end its string in the "Expression"`,
        }
      : jsonString(value);
  }
  if (PLAIN_TOKEN.test(value)) return value;
  const where =
    place === 'search'
      ? 'among the search terms of SEARCH(\'…\'); put the placeholder inside an exact phrase "…"'
      : 'outside a quoted string of an "Expression"; put the placeholder inside quotes';
  return { refused: `the value ${JSON.stringify(value.slice(0, 64))} may hold only letters, digits and _ . : - ${where}` };
};

/** web: the value of "path" is a URL path and query string, so a value there is URL-encoded. */
const webString: StringEscaper = (value, ctx) => jsonString(/"path"\s*:\s*$/.test(ctx.before) ? encodeURIComponent(value) : value);

const SYNTAXES: Readonly<Record<QueryLanguage, Syntax>> = {
  promql: { strings: { '"': backslashed('"'), "'": backslashed("'"), '`': raw('`') }, raw: '`', comment: '#' },
  mql: { strings: { '"': backslashed('"'), "'": backslashed("'") }, comment: '#' },
  flux: { strings: { '"': flux }, comment: '//' },
  nrql: { strings: { "'": backslashed("'"), '`': raw('`') }, raw: '`' },
  datadog: { strings: { '"': backslashed('"') } },
  graphite: { strings: { '"': backslashed('"'), "'": backslashed("'") } },
  json: { strings: { '"': cloudWatchString } },
  web: { strings: { '"': webString } },
};

/** Graphite's "target=...&from=..." form is a URL query string: values are URL-encoded on top. */
function syntaxOf(language: QueryLanguage, template: string): Syntax {
  const s = SYNTAXES[language];
  return language === 'graphite' && /^\s*target=/.test(template) ? { ...s, outer: encodeURIComponent } : s;
}

/**
 * Writes the template with each placeholder replaced by valueOf(placeholder), escaped for where it stands.
 * `placeholder` matches one placeholder at a position (a sticky regular expression).
 */
export function fillTemplate(
  template: string,
  language: QueryLanguage,
  placeholder: RegExp,
  valueOf: (match: RegExpExecArray) => string,
): string {
  const syntax = syntaxOf(language, template);
  const sticky = new RegExp(placeholder.source, 'y');
  let out = '';
  let quote: string | undefined;
  let stringStart = 0;
  for (let i = 0; i < template.length;) {
    sticky.lastIndex = i;
    const m = sticky.exec(template);
    if (m) {
      const ctx = quote ? { before: out.slice(0, stringStart), text: out.slice(stringStart + 1) } : { before: out, text: '' };
      out += written(syntax, m[0], valueOf(m), quote, ctx);
      i += m[0].length;
      continue;
    }
    const ch = template[i]!;
    if (quote) {
      if (ch === '\\' && quote !== syntax.raw) {
        out += template.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (ch === quote) quote = undefined;
    } else if (syntax.comment && template.startsWith(syntax.comment, i)) {
      const end = template.indexOf('\n', i);
      const stop = end < 0 ? template.length : end;
      out += template.slice(i, stop);
      i = stop;
      continue;
    } else if (Object.hasOwn(syntax.strings, ch)) {
      quote = ch;
      stringStart = out.length;
    }
    out += ch;
    i++;
  }
  return out;
}

function written(syntax: Syntax, placeholder: string, value: string, quote: string | undefined, ctx: StringContext): string {
  let v: string | undefined;
  if (quote) {
    const escaped = syntax.strings[quote]!(value, ctx);
    if (typeof escaped === 'object') throw new UnsafeValueError(`${placeholder}: ${escaped.refused}`);
    v = escaped;
    if (v === undefined)
      throw new UnsafeValueError(
        `${placeholder}: the value holds a character that cannot be written into a ${quote}-quoted string of the query`,
      );
  } else {
    if (!PLAIN_TOKEN.test(value)) {
      throw new UnsafeValueError(
        `${placeholder}: the value ${JSON.stringify(value.slice(0, 64))} may hold only letters, digits and _ . : - outside a quoted string of the query; put the placeholder inside quotes`,
      );
    }
    v = value;
  }
  return syntax.outer ? syntax.outer(v) : v;
}
