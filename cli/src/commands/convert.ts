import { CliError, EXIT } from '../errors.js';
import type { Finding } from '../lint/lint.js';
import { expand, lintOptions, MAX_INPUT_BYTES, readCapped, type LintDeps } from './lint.js';

export interface ConvertCommandOptions {
  /** Files, directories (their *.yaml, *.yml and *.json) or "-" for standard input. */
  paths: string[];
  /** Write the output even when fields were dropped, and exit 0. */
  allowDropped: boolean;
  /** The operator's --mesh-provider, for checking converted Canaries without spec.provider. */
  meshProvider?: string;
}

/**
 * tollgate convert FILE...: the converted stream on stdout; what was dropped, noted or would be refused on stderr.
 * Exit 0 (converted), 1 (fields dropped without --allow-dropped, or an object the API server would refuse: nothing
 * is written then) or 3 (cannot read or parse the input).
 */
export async function convert(deps: LintDeps, o: ConvertCommandOptions): Promise<number> {
  const [{ convertManifests }, { YamlError }, { lintText }] = await Promise.all([
    import('../convert/convert.js'),
    import('../convert/stream.js'),
    import('../lint/lint.js'),
  ]);
  const inputs: { file: string; text: string }[] = [];
  for (const input of await expand(o.paths)) {
    const text = input === '-' ? await deps.stdin(MAX_INPUT_BYTES) : await readCapped(input);
    inputs.push({ file: input === '-' ? '<stdin>' : input, text });
  }
  let result: ReturnType<typeof convertManifests>;
  try {
    result = convertManifests(inputs);
  } catch (err) {
    if (err instanceof YamlError) throw new CliError(`cannot parse ${err.message}`, EXIT.ERROR);
    throw err;
  }
  const checked = lintText('<output>', result.text, await lintOptions(o.meshProvider));
  const refused = checked.findings.filter((f) => f.stage !== 'operator' && f.severity === 'error');
  const operator = checked.findings.filter((f) => f.stage === 'operator');
  const { io } = deps;
  for (const d of result.dropped) io.stderr(`dropped: ${d.object}: ${d.path}: ${d.reason}`);
  for (const n of result.notes) io.stderr(`note: ${n.object}: ${n.message}`);
  for (const f of operator) io.stderr(`${f.severity === 'error' ? 'operator' : 'warning'}: ${findingText(f)}`);
  for (const f of refused) io.stderr(`invalid: ${findingText(f)}`);
  const failed = refused.length > 0 || (result.dropped.length > 0 && !o.allowDropped);
  io.stderr(summary(result, refused.length, failed));
  if (!failed && result.text.trim()) io.stdout(result.text.replace(/\n$/, ''));
  return failed ? EXIT.FAILED : EXIT.OK;
}

const findingText = (f: Finding): string => `${f.object ?? '(object)'}: ${f.path ? `${f.path}: ` : ''}${f.message} (output line ${f.line})`;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function summary(
  r: { dropped: unknown[]; written: Record<string, number>; converted: Record<string, number>; passed: number },
  refused: number,
  failed: boolean,
): string {
  const list = (m: Record<string, number>): string =>
    Object.entries(m)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ') || 'nothing';
  const parts = [
    `converted ${list(r.converted)} into ${list(r.written)}`,
    `${plural(r.passed, 'other document')} passed through`,
    `${plural(r.dropped.length, 'field')} dropped`,
  ];
  if (refused) parts.push(`${plural(refused, 'error')} the API server would refuse`);
  const tail = !failed ? '' : refused ? '; nothing written' : '; nothing written (--allow-dropped writes it anyway)';
  return `${parts.join('; ')}${tail}.`;
}
