import { checkEach, httpUrlOnly, operands, optionTable, refused, scanArgs, switches, valued, type ValueCheck } from './scan.js';

const noFile =
  (what: string): ValueCheck =>
  (v) =>
    v.startsWith('@') && v !== '@-' ? `${what} @file reads a local file (only @- for standard input)` : undefined;
const noAtOrLt: ValueCheck = (v) => (/=[@<]/.test(v) || /^[@<]/.test(v) ? '-F with @file or <file reads a local file' : undefined);
const urlEncoded: ValueCheck = (v) =>
  /^[^=]*@/.test(v) && !/^[^=]*@-$/.test(v) ? '--data-urlencode with [name]@file reads a local file' : undefined;
const output: ValueCheck = (v) =>
  v === '-' || v === '/dev/null' ? undefined : 'curl -o writes a local file (only -o - and -o /dev/null are allowed)';
const writeOut: ValueCheck = (v) =>
  v.startsWith('@') ? '-w @file reads a local file' : /%output\{/.test(v) ? '-w %output{file} writes a local file' : undefined;
const cookie: ValueCheck = (v) => (v.includes('=') ? undefined : '-b without "=" names a cookie file to read');

const READS = 'reads or writes local files';

/**
 * curl, deny by default: the switches and options below and http(s) URLs only. Refused: -o/-O/-T/-K/-D/-c and
 * every other option that reads or writes a local file, `@file` data, file: and every non-http(s) URL,
 * unix sockets, and options not listed (including curl's abbreviated long options).
 */
const TABLE = optionTable({
  ...switches(
    's|silent S|show-error f|fail fail-with-body fail-early i|include I|head v|verbose k|insecure L|location location-trusted G|get compressed http1.0 http1.1 http2 http2-prior-knowledge 4|ipv4 6|ipv6 N|no-buffer no-progress-meter no-keepalive retry-all-errors retry-connrefused tcp-nodelay raw path-as-is g|globoff tr-encoding q|disable no-silent no-show-error no-fail no-include no-verbose no-location no-insecure no-compressed',
  ),
  ...valued(
    'X|request m|max-time connect-timeout u|user U|proxy-user A|user-agent e|referer x|proxy noproxy resolve connect-to retry retry-delay retry-max-time max-redirs oauth2-bearer data-raw Y|speed-limit y|speed-time limit-rate r|range expect100-timeout keepalive-time max-filesize request-target',
  ),
  'H|header': { values: 1, refuse: noFile('-H') },
  'd|data': { values: 1, refuse: noFile('-d') },
  'data-ascii': { values: 1, refuse: noFile('--data-ascii') },
  'data-binary': { values: 1, refuse: noFile('--data-binary') },
  json: { values: 1, refuse: noFile('--json') },
  'data-urlencode': { values: 1, refuse: urlEncoded },
  'F|form': { values: 1, refuse: noAtOrLt },
  'form-string': { values: 1 },
  'w|write-out': { values: 1, refuse: writeOut },
  'b|cookie': { values: 1, refuse: cookie },
  'o|output': { values: 1, refuse: output },
  url: { values: 1, refuse: httpUrlOnly },
  ...refused('K|config', 'curl -K reads options from a file'),
  ...refused('O|remote-name remote-name-all J|remote-header-name create-dirs', 'writes a local file', 0),
  ...refused(
    'T|upload-file output-dir D|dump-header c|cookie-jar trace trace-ascii stderr libcurl E|cert key cacert capath crlfile pinnedpubkey netrc-file etag-save etag-compare hsts alt-svc',
    READS,
  ),
  ...refused('n|netrc netrc-optional', 'reads ~/.netrc', 0),
  ...refused('unix-socket abstract-unix-socket', 'connects to local sockets'),
  ...refused('proto proto-redir proto-default', 'changes which URL schemes curl accepts (file: among them)'),
  ...refused('variable', 'reads files or the environment into variables'),
  ...refused('z|time-cond', 'reads the date of a local file'),
});

/** Refuses what lets curl touch local files; every URL must be http:// or https://. */
export function checkCurl(args: readonly string[]): void {
  const tokens = scanArgs(args, TABLE, { program: 'curl', style: 'getopt', unknown: 'refuse' });
  checkEach('curl', operands(tokens), httpUrlOnly);
}
