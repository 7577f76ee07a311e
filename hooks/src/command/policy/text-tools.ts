import { ArgumentNotAllowedError, operands, optionTable, refused, scanArgs, switches, valued, type ArgToken } from './scan.js';

const STDIN_ONLY = 'reads its standard input only: file operands would read local files';

const GREP = optionTable({
  ...switches(
    'E|extended-regexp F|fixed-strings G|basic-regexp P|perl-regexp i|ignore-case y no-ignore-case v|invert-match w|word-regexp x|line-regexp c|count o|only-matching q|quiet silent s|no-messages n|line-number b|byte-offset h|no-filename H|with-filename a|text U|binary z|null-data Z|null T|initial-tab line-buffered color colour 0 1 2 3 4 5 6 7 8 9',
  ),
  ...valued('m|max-count A|after-context B|before-context C|context label'),
  'e|regexp': { values: 1 },
  ...refused('f|file exclude-from', 'reads patterns or names from a local file'),
  ...refused('r|recursive R|dereference-recursive', 'reads local directories', 0),
  ...refused('d|directories D|devices include exclude exclude-dir', 'only matters for local files'),
});

/** grep: deny by default, and it reads its standard input (`curl ... | grep x`): no file operands. */
export function checkGrep(args: readonly string[]): void {
  const tokens = scanArgs(args, GREP, { program: 'grep', style: 'getopt', unknown: 'refuse' });
  const ops = operands(tokens);
  const files = hasOption(tokens, '-e', '--regexp') ? ops : ops.slice(1);
  const file = files.find((f) => f !== '-');
  if (file !== undefined) throw new ArgumentNotAllowedError('grep', file, `grep ${STDIN_ONLY}`);
}

const JQ = optionTable({
  ...switches(
    'r|raw-output j|join-output a|ascii-output c|compact-output n|null-input e|exit-status s|slurp S|sort-keys C|color-output M|monochrome-output R|raw-input tab seq stream stream-errors unbuffered args jsonargs raw-output0',
  ),
  ...valued('indent'),
  arg: { values: 2 },
  argjson: { values: 2 },
  ...refused('f|from-file L|library-path', 'reads jq programs or modules from local files'),
  rawfile: { values: 2, refuse: 'reads a local file' },
  slurpfile: { values: 2, refuse: 'reads a local file' },
});

/** import, include and modulemeta read modules and data files. */
const MODULES = /(^|[^.$\w])(import|include|modulemeta)\b/;

/** jq: deny by default, one filter without modules, standard input only (operands after --args/--jsonargs are values). */
export function checkJq(args: readonly string[]): void {
  const tokens = scanArgs(args, JQ, { program: 'jq', style: 'getopt', unknown: 'refuse' });
  const [filter, ...rest] = operands(tokens);
  if (filter !== undefined && MODULES.test(filter))
    throw new ArgumentNotAllowedError('jq', filter, 'jq import, include and modulemeta read local files');
  if (rest.length > 0 && !hasOption(tokens, '--args', '--jsonargs')) throw new ArgumentNotAllowedError('jq', rest[0]!, `jq ${STDIN_ONLY}`);
}

const hasOption = (tokens: readonly ArgToken[], ...names: string[]): boolean =>
  tokens.some((t) => t.kind === 'option' && names.includes(t.name));
