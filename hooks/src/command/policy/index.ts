import type { LoadLimits } from '../../load/limits.js';
import { checkCurl } from './curl.js';
import { checkHelm } from './helm.js';
import { checkHey } from './hey.js';
import { checkKubectl } from './kubectl.js';
import { ArgumentNotAllowedError } from './scan.js';
import { checkGrep, checkJq } from './text-tools.js';

export { ArgumentNotAllowedError } from './scan.js';

/** Throws ArgumentNotAllowedError when a program's arguments ask for something tasks may not do. */
export type ArgumentCheck = (args: readonly string[]) => void;

const anyArguments: ArgumentCheck = () => undefined;
const never =
  (program: string, why: string): ArgumentCheck =>
  (args) => {
    throw new ArgumentNotAllowedError(program, args.join(' '), why);
  };

/**
 * The argument policy of every program this service knows. Programs that run other programs or touch local
 * files through their options (curl, kubectl, helm, hey, grep, jq) are checked; echo, true, false, test and
 * sleep can do neither; wrk and ghz are refused whatever their arguments. A program added to
 * ALLOWED_COMMANDS that is not here runs with any arguments (the service warns at start).
 */
export function argumentPolicies(limits: LoadLimits): ReadonlyMap<string, ArgumentCheck> {
  return new Map<string, ArgumentCheck>([
    ['curl', checkCurl],
    ['kubectl', checkKubectl],
    ['helm', checkHelm],
    ['hey', (args) => checkHey(args, limits)],
    ['grep', checkGrep],
    ['jq', checkJq],
    ['wrk', never('wrk', 'wrk has no rate limit (MAX_LOAD_RATE) and runs Lua scripts (-s): use hey -q or the load task')],
    ['ghz', never('ghz', 'ghz reads and writes local files (--proto, --data-file, --config, --output)')],
    ...['echo', 'true', 'false', 'test', '[', 'sleep'].map((p): [string, ArgumentCheck] => [p, anyArguments]),
  ]);
}
