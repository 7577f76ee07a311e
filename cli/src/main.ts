import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDuration } from '@tollgate/operator/api/duration';
import type { RequestKind } from './canary.js';
import { checkAddress, dashboard, DEFAULT_ADDRESS, DEFAULT_PORT, type DashboardOptions } from './dashboard/command.js';
import { completionScript, SHELLS, type CompletionSpec, type FlagSpec, type Shell } from './commands/completion.js';
import { convert, type ConvertCommandOptions } from './commands/convert.js';
import { get, OUTPUTS, type GetOptions, type Output } from './commands/get.js';
import { history, HISTORY_OUTPUTS, type HistoryOptions } from './commands/history.js';
import { lint, LINT_OUTPUTS, processStdin, type LintCommandOptions } from './commands/lint.js';
import { migrate, type MigrateOptions } from './commands/migrate.js';
import { request, type RequestOptions } from './commands/request.js';
import { checkStatusOptions, status, STATUS_OUTPUTS, type StatusOptions } from './commands/status.js';
import { version } from './commands/version.js';
import { wait, WAIT_FOR, type WaitOptions } from './commands/wait.js';
import type { Context } from './context.js';
import { CliError, describeError, EXIT, UsageError } from './errors.js';
import { watchFeed, type Feed } from './feed.js';
import { COMMANDS, helpText } from './help.js';
import { processIo, type Io } from './io.js';
import { connect, type ClusterOptions, type Connect } from './kube.js';

/** Argument parsing and dispatch; the commands live in commands/, the formatting in format.ts. */

type Option = { type: 'string' | 'boolean'; short?: string };

const CLUSTER_OPTIONS: Record<string, Option> = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'request-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

const REQUEST_OPTIONS: Record<string, Option> = { force: { type: 'boolean' }, 'no-wait': { type: 'boolean' } };

const OUTPUT: Option = { type: 'string', short: 'o' };

const COMMAND_OPTIONS: Record<string, Record<string, Option>> = {
  get: { 'all-namespaces': { type: 'boolean', short: 'A' }, output: OUTPUT },
  status: { watch: { type: 'boolean', short: 'w' }, 'until-done': { type: 'boolean' }, 'all-events': { type: 'boolean' }, output: OUTPUT },
  history: { output: OUTPUT },
  promote: REQUEST_OPTIONS,
  abort: REQUEST_OPTIONS,
  retry: REQUEST_OPTIONS,
  pause: { 'no-wait': { type: 'boolean' } },
  resume: { 'no-wait': { type: 'boolean' } },
  wait: { timeout: { type: 'string' }, for: { type: 'string' } },
  lint: { output: OUTPUT, 'mesh-provider': { type: 'string' } },
  convert: { 'allow-dropped': { type: 'boolean' }, 'mesh-provider': { type: 'string' } },
  dashboard: { port: { type: 'string' }, address: { type: 'string' }, 'allow-remote': { type: 'boolean' } },
  migrate: { 'dry-run': { type: 'boolean' }, 'allow-dropped': { type: 'boolean' }, timeout: { type: 'string' } },
  completion: {},
  version: {},
  help: {},
};

/** The values of -o, by command. */
const OUTPUT_VALUES: Record<string, readonly string[]> = {
  get: OUTPUTS,
  status: STATUS_OUTPUTS,
  history: HISTORY_OUTPUTS,
  lint: LINT_OUTPUTS,
};

/** How many NAMEs each command takes: [least, most]. */
const POSITIONALS: Record<string, [number, number]> = {
  get: [0, 1],
  status: [1, 1],
  promote: [1, 1],
  abort: [1, 1],
  retry: [1, 1],
  pause: [1, 1],
  resume: [1, 1],
  wait: [1, 1],
  history: [1, 1],
  lint: [1, Infinity],
  convert: [1, Infinity],
  dashboard: [0, 0],
  migrate: [2, 2],
  completion: [1, 1],
  version: [0, 0],
  help: [0, 1],
};

/** What a command's arguments are, for the messages and the shell completion. */
const ARGS: Record<string, CompletionSpec['commands'][number]['args']> = {
  get: 'canary',
  status: 'canary',
  promote: 'canary',
  abort: 'canary',
  retry: 'canary',
  pause: 'canary',
  resume: 'canary',
  wait: 'canary',
  history: 'canary',
  lint: 'files',
  convert: 'files',
  dashboard: 'none',
  migrate: 'canary',
  completion: 'shell',
  version: 'none',
  help: 'command',
};

const MISSING: Record<string, string> = {
  lint: 'lint needs files to check (or - for standard input)',
  convert: 'convert needs files to convert (or - for standard input)',
  completion: `completion needs a shell: ${SHELLS.join(', ')}`,
  migrate: 'migrate needs where from and the name of the Canary: migrate flagger NAME',
};

const DEFAULT_WAIT_TIMEOUT = '10m';
const DEFAULT_MIGRATE_TIMEOUT = '5m';

export type Parsed =
  | { command: 'help'; topic?: string }
  | { command: 'version' }
  | { command: 'completion'; shell: Shell }
  | { command: 'lint'; lint: LintCommandOptions }
  | { command: 'convert'; convert: ConvertCommandOptions }
  | { command: 'history'; cluster: ClusterOptions; history: HistoryOptions }
  | { command: 'get'; cluster: ClusterOptions; get: GetOptions }
  | { command: 'status'; cluster: ClusterOptions; status: StatusOptions }
  | { command: 'wait'; cluster: ClusterOptions; wait: WaitOptions }
  | { command: 'dashboard'; cluster: ClusterOptions; dashboard: DashboardOptions }
  | { command: 'migrate'; cluster: ClusterOptions; migrate: MigrateOptions }
  | { command: RequestKind; cluster: ClusterOptions; request: RequestOptions };

/** Flags that take a value, in every spelling: their value is not the command. */
const VALUE_FLAGS = new Set(valueFlagSpellings());

function valueFlagSpellings(): string[] {
  const all: Record<string, Option> = { ...CLUSTER_OPTIONS };
  for (const opts of Object.values(COMMAND_OPTIONS)) Object.assign(all, opts);
  return Object.entries(all)
    .filter(([, o]) => o.type === 'string')
    .flatMap(([k, o]) => [`--${k}`, ...(o.short ? [`-${o.short}`] : [])]);
}

/** The command word: the first argument that is neither a flag nor a flag's value (flags may come first). */
function findCommand(argv: string[]): { command?: string; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--')
      return argv[i + 1] === undefined ? { rest: argv } : { command: argv[i + 1], rest: [...argv.slice(0, i), ...argv.slice(i + 2)] };
    if (VALUE_FLAGS.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith('-') && a !== '-') continue;
    return { command: a, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { rest: argv };
}

/** Parses the command line; throws UsageError with a message fit for the user. */
export function parseCommandLine(argv: string[]): Parsed {
  const { command, rest } = findCommand(argv);
  if (!command) return parseBare(rest);
  const { values: v, positionals: names } = parseCommandFlags(command, rest);
  if (v.help) return { command: 'help', ...(command !== 'help' ? { topic: command } : {}) };
  const output = checkArguments(command, v, names);
  return localCommand(command, v, names, output) ?? commandOf(command, clusterOptions(command, v), v, names);
}

/** The command's flags and positionals, by its table of options; an unknown command or flag is a UsageError. */
function parseCommandFlags(command: string, rest: string[]): { values: Flags; positionals: string[] } {
  const options = COMMAND_OPTIONS[command];
  if (!options) {
    const near = closest(command, Object.keys(COMMAND_OPTIONS));
    throw new UsageError(`unknown command "${command}"${near ? `; did you mean "${near}"?` : ''}`);
  }
  try {
    return parseArgs({ args: rest, options: { ...CLUSTER_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(flagError(err), command);
  }
}

/** Checks the number of positionals and the output format; returns the output format asked for. */
function checkArguments(command: string, v: Flags, names: string[]): string | undefined {
  const [least, most] = POSITIONALS[command]!;
  if (names.length > most) throw new UsageError(`too many arguments: ${names.slice(most).join(' ')}`, command);
  if (names.length < least) throw new UsageError(MISSING[command] ?? `${command} needs the name of a canary`, command);
  const output = v.output as string | undefined;
  if (output !== undefined && !OUTPUT_VALUES[command]!.includes(output)) {
    throw new UsageError(`unknown output format "${output}": use ${OUTPUT_VALUES[command]!.join(', ')}`, command);
  }
  return output;
}

/** The commands that need no cluster (help, version, completion, lint, convert); undefined for the others. */
function localCommand(command: string, v: Flags, names: string[], output: string | undefined): Parsed | undefined {
  if (command === 'help') {
    const topic = names[0];
    if (topic && !COMMANDS[topic]) throw new UsageError(`unknown command "${topic}"`);
    return { command: 'help', ...(topic ? { topic } : {}) };
  }
  if (command === 'version') return { command: 'version' };
  if (command === 'completion') {
    if (!(SHELLS as readonly string[]).includes(names[0]!))
      throw new UsageError(`unknown shell "${names[0]}": use ${SHELLS.join(', ')}`, command);
    return { command, shell: names[0] as Shell };
  }
  if (command === 'convert') {
    const meshProvider = v['mesh-provider'] as string | undefined;
    return { command, convert: { paths: names, allowDropped: v['allow-dropped'] === true, ...(meshProvider ? { meshProvider } : {}) } };
  }
  if (command === 'lint') {
    const meshProvider = v['mesh-provider'] as string | undefined;
    return {
      command,
      lint: { paths: names, output: (output ?? 'text') as LintCommandOptions['output'], ...(meshProvider ? { meshProvider } : {}) },
    };
  }
  return undefined;
}

/** --kubeconfig, --context, --namespace and --request-timeout. */
function clusterOptions(command: string, v: Flags): ClusterOptions {
  const cluster: ClusterOptions = {
    ...(typeof v.kubeconfig === 'string' ? { kubeconfig: v.kubeconfig } : {}),
    ...(typeof v.context === 'string' ? { context: v.context } : {}),
    ...(typeof v.namespace === 'string' ? { namespace: v.namespace } : {}),
  };
  if (cluster.namespace === '') throw new UsageError('--namespace needs a value', command);
  if (typeof v['request-timeout'] === 'string') cluster.requestTimeoutMs = requestTimeout(v['request-timeout'], command);
  return cluster;
}

type Flags = Record<string, string | boolean | undefined>;

/** No command: --version, or the help. */
function parseBare(rest: string[]): Parsed {
  let values: Flags;
  try {
    ({ values } = parseArgs({ args: rest, options: { ...CLUSTER_OPTIONS, version: { type: 'boolean' } }, strict: true }));
  } catch (err) {
    throw new UsageError(flagError(err));
  }
  return values.version ? { command: 'version' } : { command: 'help' };
}

/** A command that acts on the cluster, with its own flags checked. */
function commandOf(command: string, cluster: ClusterOptions, v: Flags, names: string[]): Parsed {
  const name = names[0]!;
  switch (command) {
    case 'get': {
      const output = v.output as string | undefined;
      return {
        command,
        cluster,
        get: {
          ...(names[0] ? { name: names[0] } : {}),
          allNamespaces: v['all-namespaces'] === true,
          ...(output ? { output: output as Output } : {}),
        },
      };
    }
    case 'status': {
      const output = v.output as StatusOptions['output'];
      const o: StatusOptions = {
        name,
        watch: v.watch === true,
        untilDone: v['until-done'] === true,
        allEvents: v['all-events'] === true,
        ...(output ? { output } : {}),
      };
      checkStatusOptions(o);
      return { command, cluster, status: o };
    }
    case 'history': {
      const output = v.output as HistoryOptions['output'];
      return { command, cluster, history: { name, ...(output ? { output } : {}) } };
    }
    case 'wait':
      return { command, cluster, wait: waitOptions(v, name) };
    case 'dashboard':
      return { command, cluster, dashboard: dashboardOptions(v, cluster) };
    case 'migrate':
      return { command, cluster, migrate: migrateOptions(v, names) };
    default:
      return { command: command as RequestKind, cluster, request: { name, force: v.force === true, wait: v['no-wait'] !== true } };
  }
}

function dashboardOptions(v: Flags, cluster: ClusterOptions): DashboardOptions {
  const text = (v.port as string | undefined) ?? String(DEFAULT_PORT);
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535)
    throw new UsageError(`invalid --port "${text}": use a number from 0 (any free port) to 65535`, 'dashboard');
  const address = (v.address as string | undefined) ?? DEFAULT_ADDRESS;
  const allowRemote = v['allow-remote'] === true;
  checkAddress(address, allowRemote);
  return { port, address, allowRemote, ...(cluster.namespace ? { namespace: cluster.namespace } : {}) };
}

function migrateOptions(v: Flags, names: string[]): MigrateOptions {
  if (names[0] !== 'flagger') throw new UsageError(`cannot migrate from "${names[0]}": use migrate flagger NAME`, 'migrate');
  const timeout = (v.timeout as string | undefined) ?? DEFAULT_MIGRATE_TIMEOUT;
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration(timeout);
  } catch {
    throw new UsageError(`invalid --timeout "${timeout}": use a duration such as 90s or 5m`, 'migrate');
  }
  if (timeoutMs <= 0) throw new UsageError('--timeout must be more than 0', 'migrate');
  return { name: names[1]!, dryRun: v['dry-run'] === true, allowDropped: v['allow-dropped'] === true, timeoutMs };
}

function waitOptions(v: Flags, name: string): WaitOptions {
  const timeout = (v.timeout as string | undefined) ?? DEFAULT_WAIT_TIMEOUT;
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration(timeout);
  } catch {
    throw new UsageError(`invalid --timeout "${timeout}": use a duration such as 90s, 10m or 1h`, 'wait');
  }
  if (timeoutMs <= 0) throw new UsageError('--timeout must be more than 0', 'wait');
  const target = (v.for as string | undefined) ?? 'promoted';
  if (!(WAIT_FOR as readonly string[]).includes(target))
    throw new UsageError(`unknown --for "${target}": use ${WAIT_FOR.join(', ')}`, 'wait');
  return { name, timeoutMs, for: target as WaitOptions['for'] };
}

/** --request-timeout as kubectl takes it: a duration (30s, 1m), a number of seconds, or 0 for none. */
function requestTimeout(text: string, command: string): number {
  try {
    return /^\d+$/.test(text) ? Number(text) * 1000 : parseDuration(text);
  } catch {
    throw new UsageError(`invalid --request-timeout "${text}": use a duration such as 10s or 1m, or 0 for none`, command);
  }
}

/** The commands and flags, for the completion scripts. */
export function completionSpec(): CompletionSpec {
  const flags = (options: Record<string, Option>, command?: string): FlagSpec[] =>
    Object.entries(options).map(([long, o]) => ({
      long,
      value: o.type === 'string',
      ...(o.short ? { short: o.short } : {}),
      ...(long === 'output' && command ? { values: OUTPUT_VALUES[command] } : long === 'for' ? { values: WAIT_FOR } : {}),
    }));
  return {
    global: flags(CLUSTER_OPTIONS),
    commands: Object.entries(COMMAND_OPTIONS).map(([name, options]) => ({
      name,
      summary: COMMANDS[name]!.summary,
      flags: flags(options, name),
      args: ARGS[name]!,
    })),
  };
}

/** parseArgs' errors, in the CLI's words. */
function flagError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string }).code;
  const flag = /'([^']+)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) return `unknown flag ${flag}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /argument missing/.test(message))
    return `flag ${flag?.replace(/ <value>$/, '') ?? ''} needs a value`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `flag ${flag ?? ''} takes no value`;
  return message;
}

/** The known word nearest to a typo (at most two edits away), for "did you mean". */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d <= 2 && (!best || d < best.d)) best = { c, d };
  }
  return best?.c;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

export interface Deps {
  io: Io;
  connect: Connect;
  feed: Feed;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** "tollgate", or "kubectl tollgate" when run as a kubectl plugin. */
  prog: string;
  /** Standard input, for lint - and convert -; the process's by default. */
  stdin?: (maxBytes: number) => Promise<string>;
}

/** Runs one command line; resolves to the exit code. */
export async function run(argv: string[], deps: Deps): Promise<number> {
  const { io, prog } = deps;
  let parsed: Parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    return report(err, deps);
  }
  if (parsed.command === 'help') {
    io.stdout(helpText(prog, parsed.topic));
    return EXIT.OK;
  }
  if (parsed.command === 'version') return version(io);
  if (parsed.command === 'completion') {
    io.stdout(completionScript(parsed.shell, completionSpec()).trimEnd());
    return EXIT.OK;
  }
  if (parsed.command === 'lint' || parsed.command === 'convert') {
    const local = { io, stdin: deps.stdin ?? processStdin };
    try {
      return parsed.command === 'lint' ? await lint(local, parsed.lint) : await convert(local, parsed.convert);
    } catch (err) {
      return report(err, deps);
    }
  }
  let ctx: Context | undefined;
  let server = '';
  try {
    const conn = await deps.connect(parsed.cluster);
    server = conn.server;
    ctx = { io, kube: conn.kube, namespace: conn.namespace, signal: deps.signal, feed: deps.feed, prog };
    switch (parsed.command) {
      case 'get':
        return await get(ctx, parsed.get);
      case 'status':
        return await status(ctx, parsed.status);
      case 'wait':
        return await wait(ctx, parsed.wait);
      case 'history':
        return await history(ctx, parsed.history);
      case 'dashboard':
        return await dashboard(ctx, parsed.dashboard);
      case 'migrate':
        return await migrate(ctx, parsed.migrate);
      default:
        return await request(ctx, parsed.command, parsed.request);
    }
  } catch (err) {
    if (deps.signal.aborted) return EXIT.INTERRUPTED;
    return report(err, deps, server);
  } finally {
    ctx?.kube.close();
  }
}

function report(err: unknown, { io, prog }: Deps, server = ''): number {
  if (err instanceof UsageError) {
    io.stderr(`error: ${err.message}`);
    io.stderr(`See '${prog} help${err.command && err.command !== 'help' ? ` ${err.command}` : ''}'.`);
    return EXIT.ERROR;
  }
  if (err instanceof CliError) {
    io.stderr(`error: ${err.message}`);
    return err.code;
  }
  const connection = err instanceof Error && err.name === 'KubeConnectionError';
  io.stderr(`error: ${describeError(err)}${connection && server ? ` (server ${server})` : ''}`);
  // An error nobody expected: with TOLLGATE_DEBUG set, its stack too, for a bug report.
  if (process.env.TOLLGATE_DEBUG && err instanceof Error && err.stack) io.stderr(err.stack);
  return EXIT.ERROR;
}

/** The process around run(): real io, a watch feed, Ctrl-C, and an exit once the output is flushed. */
async function main(): Promise<void> {
  const controller = new AbortController();
  let signals = 0;
  const interrupt = (): void => {
    if (signals++ > 0) process.exit(EXIT.INTERRUPTED);
    controller.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.OK);
  });
  const prog = process.env.TOLLGATE_PROG === 'kubectl-tollgate' ? 'kubectl tollgate' : 'tollgate';
  const code = await run(process.argv.slice(2), { io: processIo(), connect, feed: watchFeed, signal: controller.signal, prog });
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

const isEntryPoint = ((): boolean => {
  try {
    return process.argv[1] !== undefined && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
})();

if (isEntryPoint) void main();
