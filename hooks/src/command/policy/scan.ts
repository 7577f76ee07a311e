import { RejectedError } from '../../errors.js';

/** An argument of an allowed program that could run a program, or read or write a local file. */
export class ArgumentNotAllowedError extends RejectedError {
  constructor(program: string, argument: string, reason: string) {
    super('argument_not_allowed', `${program}: argument ${JSON.stringify(argument)} is not allowed: ${reason}`, {
      program,
      argument,
      reason,
    });
    this.name = 'ArgumentNotAllowedError';
  }
}

/** Why a value is refused, or undefined when it is fine. */
export type ValueCheck = (value: string) => string | undefined;

/** How a program reads one option. */
export interface OptionRule {
  /** Values the option takes: 0 (a switch, the default), 1, or 2 (jq's `--arg name value`). */
  readonly values?: 0 | 1 | 2;
  /** The option is refused outright (the text says why), or when its value fails the check. */
  readonly refuse?: string | ValueCheck;
}

export interface OptionTable {
  readonly long: Readonly<Record<string, OptionRule>>;
  readonly short: Readonly<Record<string, OptionRule>>;
}

/**
 * getopt: `-abc` clusters (the first option taking a value takes the rest of the word or the next one),
 * `--name value`, `--name=value`. pflag (kubectl, helm): the same, and `-n=value`. go (Go's flag package,
 * hey): `-name` or `--name`, `-name=value` or `-name value`, no clusters.
 */
export type OptionStyle = 'getopt' | 'pflag' | 'go';

export interface ScanSettings {
  readonly program: string;
  readonly style: OptionStyle;
  /** An option missing from the table: refused (deny by default), or read as a switch (its table lists what to refuse). */
  readonly unknown: 'refuse' | 'switch';
  /** Stop at the first operand (the sub-command of kubectl and helm); it is the last token. */
  readonly stopAtOperand?: boolean;
}

export type ArgToken =
  | { readonly kind: 'option'; readonly name: string; readonly values: readonly string[] }
  | { readonly kind: 'operand'; readonly value: string; readonly index: number };

/**
 * Reads a program's arguments the way it does, and throws ArgumentNotAllowedError at the first refused option.
 * Options are looked for in every argument up to `--` (not only before the first operand): this is stricter
 * than Go's flag package, never looser.
 */
export function scanArgs(args: readonly string[], table: OptionTable, s: ScanSettings): ArgToken[] {
  const tokens: ArgToken[] = [];
  let i = 0;
  // A value taken from the next argument that looks like an option is checked as one as well: should the
  // program read that option as a switch where the table says it takes a value, nothing slips through.
  const next = (): string => {
    const v = args[++i] ?? '';
    if (/^-./.test(v) && v !== '--') scanArgs([v], table, { ...s, stopAtOperand: false });
    return v;
  };
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      args.slice(i + 1).forEach((value, k) => tokens.push({ kind: 'operand', value, index: i + 1 + k }));
      break;
    }
    if (a === '-' || !a.startsWith('-')) {
      tokens.push({ kind: 'operand', value: a, index: i });
      if (s.stopAtOperand) break;
    } else if (a.startsWith('--') || s.style === 'go') tokens.push(longOption(a, table, s, next));
    else tokens.push(...shortCluster(a, table, s, next));
  }
  return tokens;
}

function longOption(arg: string, table: OptionTable, s: ScanSettings, next: () => string): ArgToken {
  const body = arg.replace(/^--?/, '');
  const eq = body.indexOf('=');
  const name = eq < 0 ? body : body.slice(0, eq);
  const shown = s.style === 'go' ? `-${name}` : `--${name}`;
  const rule = table.long[name] ?? unknownRule(shown, s);
  const values: string[] = [];
  if ((rule.values ?? 0) > 0) values.push(eq < 0 ? next() : body.slice(eq + 1));
  if (rule.values === 2) values.push(next());
  check(shown, rule, values, s);
  return { kind: 'option', name: shown, values };
}

function shortCluster(arg: string, table: OptionTable, s: ScanSettings, next: () => string): ArgToken[] {
  const tokens: ArgToken[] = [];
  for (let j = 1; j < arg.length; j++) {
    const shown = `-${arg[j]!}`;
    const rule = table.short[arg[j]!] ?? unknownRule(shown, s);
    if ((rule.values ?? 0) === 0) {
      check(shown, rule, [], s);
      tokens.push({ kind: 'option', name: shown, values: [] });
      continue;
    }
    let rest = arg.slice(j + 1);
    if (s.style === 'pflag' && rest.startsWith('=')) rest = rest.slice(1);
    const values = [rest !== '' ? rest : next()];
    check(shown, rule, values, s);
    tokens.push({ kind: 'option', name: shown, values });
    break;
  }
  return tokens;
}

function unknownRule(name: string, s: ScanSettings): OptionRule {
  return s.unknown === 'switch' ? {} : { refuse: `${s.program} option ${name} is not among the options this service allows` };
}

function check(name: string, rule: OptionRule, values: readonly string[], s: ScanSettings): void {
  if (rule.refuse === undefined) return;
  const reason = typeof rule.refuse === 'string' ? rule.refuse : rule.refuse(values[0] ?? '');
  if (reason !== undefined) throw new ArgumentNotAllowedError(s.program, [name, ...values].join(' '), reason);
}

/** The operands of scanned arguments. */
export const operands = (tokens: readonly ArgToken[]): string[] => tokens.flatMap((t) => (t.kind === 'operand' ? [t.value] : []));

/** A table from short and long names: `{ 'o|output': rule }`. */
export function optionTable(rules: Readonly<Record<string, OptionRule>>, style: OptionStyle = 'getopt'): OptionTable {
  const long: Record<string, OptionRule> = {};
  const short: Record<string, OptionRule> = {};
  for (const [names, rule] of Object.entries(rules)) {
    for (const n of names.split('|')) (n.length === 1 && style !== 'go' ? short : long)[n] = rule;
  }
  return { long, short };
}

/** Options taking one value, none refused. */
export const valued = (names: string): Record<string, OptionRule> => Object.fromEntries(names.split(' ').map((n) => [n, { values: 1 }]));
/** Switches, none refused. */
export const switches = (names: string): Record<string, OptionRule> => Object.fromEntries(names.split(' ').map((n) => [n, {}]));
/** Options refused outright, with the reason. */
export const refused = (names: string, reason: string, values: 0 | 1 = 1): Record<string, OptionRule> =>
  Object.fromEntries(names.split(' ').map((n) => [n, { values, refuse: reason }]));

/** Only http:// and https:// URLs. */
export const httpUrlOnly: ValueCheck = (v) =>
  /^https?:\/\//i.test(v) ? undefined : 'only http:// and https:// URLs are allowed (no file:, no other scheme, no scheme-less URL)';

/**
 * A file list (kubectl -f, helm -f): comma-separated parts (pflag's string slices), each `-` for standard
 * input or an http(s) URL. pflag reads the list as one CSV record; a quoted part starts with `"` and is refused
 * here, so the parts checked are never fewer or other than the ones the program opens.
 */
export const stdinOrHttpList: ValueCheck = (v) => {
  const local = v.split(',').find((part) => part !== '-' && httpUrlOnly(part) !== undefined);
  return local === undefined
    ? undefined
    : `reads local files (${JSON.stringify(local)}; only - for standard input, or http(s) URLs, in a comma-separated list)`;
};

/** The --kubeconfig refusal kubectl and helm share. */
export const KUBECONFIG_REFUSED = refused(
  'kubeconfig',
  "kubeconfig files hold exec credentials, which run programs; tasks use the service's cluster",
);

/** A program with sub-commands (kubectl, helm): which options may come before one, and which are allowed. */
export interface SubcommandPolicy {
  readonly program: string;
  /** Options allowed before the sub-command (deny by default there). */
  readonly global: OptionTable;
  readonly allowed: readonly string[];
  /** Why a known sub-command is refused; an unknown one runs a plugin. */
  readonly refused: Readonly<Record<string, string>>;
  /** Why an unknown sub-command is refused; by default: it runs a plugin. */
  readonly unknownWhy?: (sub: string) => string;
}

/**
 * Scans the options before the sub-command (pflag, unknown ones refused), requires a sub-command and checks it
 * by name; returns it and the arguments after it.
 */
export function subcommand(args: readonly string[], p: SubcommandPolicy): { readonly name: string; readonly rest: readonly string[] } {
  const head = scanArgs(args, p.global, { program: p.program, style: 'pflag', unknown: 'refuse', stopAtOperand: true });
  const sub = head.at(-1);
  if (sub?.kind !== 'operand') throw new ArgumentNotAllowedError(p.program, args.join(' '), 'a sub-command is required');
  if (!p.allowed.includes(sub.value)) {
    const why = p.refused[sub.value] ?? p.unknownWhy?.(sub.value) ?? `unknown sub-commands run ${p.program} plugins`;
    throw new ArgumentNotAllowedError(
      p.program,
      sub.value,
      `sub-command "${sub.value}" is not allowed: ${why}; allowed: ${p.allowed.join(', ')}`,
    );
  }
  return { name: sub.value, rest: args.slice(sub.index + 1) };
}

/** Throws ArgumentNotAllowedError for the first value the check refuses. */
export function checkEach(program: string, values: readonly string[], check: ValueCheck): void {
  for (const v of values) {
    const reason = check(v);
    if (reason !== undefined) throw new ArgumentNotAllowedError(program, v, reason);
  }
}
