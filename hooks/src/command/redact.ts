import type { CommandLine } from './parse.js';

const HIDDEN = '***';

/** Options whose value is a credential (`--token x`, `--token=x`); `-u`/`--user`-like ones keep the user name. */
const SECRET_OPTIONS =
  /^--?(token|password|passwd|pass|oauth2-bearer|kube-token|bearer|api-key|apikey|client-secret|secret|docker-password|proxy-pass)$/i;
const USER_OPTIONS = /^(-u|-U|-a|--user|--proxy-user|--username)$/;
/** `Name: value` words of sensitive headers. */
const SECRET_HEADER =
  /^\s*(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|[\w-]*token[\w-]*|[\w-]*secret[\w-]*|x-tollgate-signature)\s*:/i;
/** `name=value` pairs (query parameters, --set, --from-literal, form data) whose name looks like a credential. */
const SECRET_PAIR = /((?:^|[?&;,=\s])[\w.-]*(?:token|passw(?:or)?d|secret|api[-_]?key|credential|signature|auth)[\w.-]*=)([^&;,\s]*)/gi;
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s]+@/gi;
const BEARER = /\b(bearer|basic)\s+[^\s,;]+/gi;

/** The command line as words, with credentials replaced by ***: for GET /tasks and logs, never for running. */
export function redactCommandLine(line: CommandLine): string {
  return line.sequence.map((pipeline) => pipeline.map((argv) => redactArgv(argv).map(quote).join(' ')).join(' | ')).join(' && ');
}

/** Credentials in the values of known options, in sensitive headers, URLs and name=value pairs. */
function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    const eq = word.indexOf('=');
    const name = eq > 0 ? word.slice(0, eq) : word;
    if (word.startsWith('--') && eq > 0 && USER_OPTIONS.test(name)) {
      out.push(`${name}=${hidePassword(word.slice(eq + 1))}`);
    } else if (word.startsWith('-') && SECRET_OPTIONS.test(name)) {
      if (eq > 0) out.push(`${name}=${HIDDEN}`);
      else out.push(word, ...(i + 1 < argv.length ? [HIDDEN] : []));
      if (eq < 0) i++;
    } else if ((USER_OPTIONS.test(word) || /^-[A-Za-z]*[uU]$/.test(word)) && i + 1 < argv.length) {
      out.push(word, hidePassword(argv[++i]!));
    } else if (/^-[A-Za-z]*[uUa][^-]*:/.test(word)) {
      out.push(hidePassword(word));
    } else {
      out.push(redactText(word));
    }
  }
  return out;
}

/** Credentials inside one piece of text: a header, a URL, name=value pairs, bearer or basic credentials. */
export function redactText(text: string): string {
  if (SECRET_HEADER.test(text)) return `${text.slice(0, text.indexOf(':') + 1)} ${HIDDEN}`;
  return text.replace(USERINFO, `$1${HIDDEN}@`).replace(SECRET_PAIR, `$1${HIDDEN}`).replace(BEARER, `$1 ${HIDDEN}`);
}

/** `user:password` keeps the user. */
const hidePassword = (v: string): string => (v.includes(':') ? `${v.slice(0, v.indexOf(':'))}:${HIDDEN}` : v);

/** A word as a shell would need it written to read it back as one word (for display only). */
function quote(word: string): string {
  return word !== '' && /^[\w@%+=:,./*~-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
