import { RejectedError } from '../errors.js';

/** One program and its arguments; argv[0] is the program as written. */
type Argv = readonly [string, ...string[]];
/** Programs wired stdout to stdin: `a | b | c`. */
type Pipeline = readonly Argv[];

/** A parsed command string: pipelines run one after the other while each succeeds (`p1 && p2`). */
export interface CommandLine {
  readonly source: string;
  readonly sequence: readonly Pipeline[];
}

/** Shell syntax this service does not implement, or a malformed command string. */
export class CommandSyntaxError extends RejectedError {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super('unsupported_syntax', `${message} at position ${position}`, { position });
    this.name = 'CommandSyntaxError';
  }
}

type Token = { kind: 'word'; value: string; at: number } | { kind: '|' | '&&'; at: number };

const SUPPORTED = "only quotes ('...', \"...\"), backslash escapes, '|' and '&&' are supported; commands run without a shell";

/** Characters that mean something to a shell outside quotes and that we refuse rather than misread. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  ';': 'command separator',
  '>': 'redirection',
  '<': 'redirection',
  '`': 'command substitution',
  '(': 'subshell',
  ')': 'subshell',
  '\n': 'newline',
  '\r': 'carriage return',
  '\0': 'NUL byte',
};

/** After `$`, these start an expansion a shell would perform: $(...), ${...}, $NAME, $1, $?, $'...'. */
const EXPANSION_START = /[({A-Za-z0-9_@*#?!$'"-]/;

/**
 * Parses a command string the way a POSIX shell splits words, without ever running a shell: single quotes,
 * double quotes and backslash escapes make words; `|` builds pipelines and `&&` sequences. Anything else a
 * shell would interpret (`;`, `||`, `&`, redirections, substitutions, variables, newlines) is rejected.
 */
export function parseCommandLine(source: string): CommandLine {
  const tokens = new Lexer(source).run();
  return { source, sequence: assemble(tokens) };
}

function assemble(tokens: readonly Token[]): Pipeline[] {
  const sequence: Argv[][] = [[]];
  let argv: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'word') {
      argv.push(t.value);
      continue;
    }
    if (argv.length === 0) throw new CommandSyntaxError(`'${t.kind}' must follow a command`, t.at);
    sequence[sequence.length - 1]!.push(argv as unknown as Argv);
    argv = [];
    if (t.kind === '&&') sequence.push([]);
  }
  if (argv.length === 0) {
    const last = tokens[tokens.length - 1];
    throw new CommandSyntaxError(last ? `'${last.kind}' must be followed by a command` : 'empty command', last?.at ?? 0);
  }
  sequence[sequence.length - 1]!.push(argv as unknown as Argv);
  return sequence;
}

class Lexer {
  private i = 0;
  private word: string | undefined;
  private wordAt = 0;
  private readonly tokens: Token[] = [];

  constructor(private readonly src: string) {}

  run(): Token[] {
    while (this.i < this.src.length) this.step(this.src[this.i]!);
    this.flush();
    return this.tokens;
  }

  private step(c: string): void {
    if (c === ' ' || c === '\t') {
      this.flush();
      this.i++;
    } else if (c === "'") this.singleQuoted();
    else if (c === '"') this.doubleQuoted();
    else if (c === '\\') this.escaped();
    else if (c === '|') this.pipe();
    else if (c === '&') this.ampersand();
    else if (c === '$') this.dollar(false);
    else if (c === '#' && this.word === undefined) throw this.unsupported('#', 'comment');
    else if (UNSUPPORTED[c]) throw this.unsupported(c, UNSUPPORTED[c]);
    else this.take(c, 1);
  }

  private singleQuoted(): void {
    const end = this.src.indexOf("'", this.i + 1);
    if (end < 0) throw new CommandSyntaxError('unterminated single quote', this.i);
    this.take(this.src.slice(this.i + 1, end), end + 1 - this.i);
  }

  private doubleQuoted(): void {
    const start = this.i;
    this.take('', 1);
    for (;;) {
      const c = this.src[this.i];
      if (c === undefined) throw new CommandSyntaxError('unterminated double quote', start);
      if (c === '"') return void this.i++;
      if (c === '\\' && '$`"\\'.includes(this.src[this.i + 1] ?? '')) this.take(this.src[this.i + 1]!, 2);
      else if (c === '$') this.dollar(true);
      else if (c === '`') throw this.unsupported('`', 'command substitution');
      else if (c === '\0') throw this.unsupported('\0', 'NUL byte');
      else this.take(c, 1);
    }
  }

  private escaped(): void {
    const next = this.src[this.i + 1];
    if (next === undefined) throw new CommandSyntaxError('trailing backslash', this.i);
    if (/[\n\r\0]/.test(next)) throw this.unsupported(next, UNSUPPORTED[next]!);
    this.take(next, 2);
  }

  private pipe(): void {
    if (this.src[this.i + 1] === '|') throw this.unsupported('||', 'or-list');
    this.operator('|', 1);
  }

  private ampersand(): void {
    if (this.src[this.i + 1] !== '&') throw this.unsupported('&', 'background job');
    this.operator('&&', 2);
  }

  /** A `$` that a shell would expand ($(, ${, $NAME, $1, $?, $'...') is refused; any other `$` is literal. */
  private dollar(inDoubleQuotes: boolean): void {
    const next = this.src[this.i + 1];
    const closesQuote = inDoubleQuotes && next === '"';
    if (next !== undefined && !closesQuote && EXPANSION_START.test(next)) {
      const what = next === '(' ? 'command substitution' : next === '{' ? 'parameter expansion' : 'variable expansion';
      throw this.unsupported(`$${next}`, what);
    }
    this.take('$', 1);
  }

  private operator(kind: '|' | '&&', width: number): void {
    this.flush();
    this.tokens.push({ kind, at: this.i });
    this.i += width;
  }

  /** Appends text to the current word (starting one if needed) and advances by width characters. */
  private take(text: string, width: number): void {
    if (text.includes('\0')) throw this.unsupported('\0', 'NUL byte');
    if (this.word === undefined) {
      this.word = '';
      this.wordAt = this.i;
    }
    this.word += text;
    this.i += width;
  }

  private flush(): void {
    if (this.word !== undefined) this.tokens.push({ kind: 'word', value: this.word, at: this.wordAt });
    this.word = undefined;
  }

  private unsupported(what: string, name: string): CommandSyntaxError {
    const shown = JSON.stringify(what);
    return new CommandSyntaxError(`unsupported shell syntax ${shown} (${name}): ${SUPPORTED}`, this.i);
  }
}
