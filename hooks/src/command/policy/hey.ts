import { parseDuration } from '@tollgate/operator/api/duration';
import { loadProblems, type LoadLimits } from '../../load/limits.js';
import {
  ArgumentNotAllowedError,
  checkEach,
  httpUrlOnly,
  operands,
  optionTable,
  refused,
  scanArgs,
  switches,
  valued,
  type ArgToken,
} from './scan.js';

const TABLE = optionTable(
  {
    ...valued('n c q z m H t A d T a x host cpus'),
    o: { values: 1, refuse: (v) => (v === 'csv' ? undefined : 'hey -o takes only "csv" (printed on standard output)') },
    ...switches('h2 disable-compression disable-keepalive disable-redirects'),
    ...refused('D', 'hey -D reads the request body from a local file (use -d)'),
  },
  'go',
);

/**
 * hey: deny by default (its options but -D, which reads a local file), one http(s) URL, and the load caps:
 * -q (per worker) is required, q × c within MAX_LOAD_RATE, c within MAX_LOAD_CONCURRENCY, -z within
 * MAX_LOAD_DURATION, and the requests (q × c × z, or -n) within MAX_LOAD_REQUESTS.
 */
export function checkHey(args: readonly string[], limits: LoadLimits): void {
  const tokens = scanArgs(args, TABLE, { program: 'hey', style: 'go', unknown: 'refuse' });
  const urls = operands(tokens);
  if (urls.length !== 1) throw new ArgumentNotAllowedError('hey', urls.join(' '), 'hey takes exactly one URL');
  checkEach('hey', urls, httpUrlOnly);
  const problems = loadProblems(askOf(tokens), limits);
  if (problems.length > 0) throw new ArgumentNotAllowedError('hey', args.join(' '), problems.join('; '));
}

function askOf(tokens: readonly ArgToken[]): { rate: number; concurrency: number; durationMs: number; requests: number } {
  const value = (name: string): string | undefined => {
    const t = tokens.filter((x) => x.kind === 'option' && x.name === `-${name}`).at(-1);
    return t?.kind === 'option' ? t.values[0] : undefined;
  };
  const concurrency = whole('c', value('c') ?? '50');
  const q = value('q');
  if (q === undefined || Number(q) === 0)
    throw new ArgumentNotAllowedError(
      'hey',
      '-q',
      'hey needs -q (requests per second per worker): without it, it sends as fast as it can (MAX_LOAD_RATE)',
    );
  const rate = whole('q', q) * concurrency;
  const z = value('z');
  if (z !== undefined) {
    const durationMs = duration(z);
    return { rate, concurrency, durationMs, requests: (rate * durationMs) / 1000 };
  }
  const requests = whole('n', value('n') ?? '200');
  return { rate, concurrency, durationMs: (requests / rate) * 1000, requests };
}

function whole(name: string, v: string): number {
  if (!/^\d{1,9}$/.test(v)) throw new ArgumentNotAllowedError('hey', `-${name} ${v}`, `-${name} must be a whole number`);
  return Number(v);
}

function duration(v: string): number {
  try {
    return parseDuration(v);
  } catch (err) {
    throw new ArgumentNotAllowedError('hey', `-z ${v}`, `-z: ${(err as Error).message}`);
  }
}
