import {
  KUBECONFIG_REFUSED,
  optionTable,
  refused,
  scanArgs,
  stdinOrHttpList,
  subcommand,
  switches,
  valued,
  type OptionRule,
  type SubcommandPolicy,
  type ValueCheck,
} from './scan.js';

const ALLOWED = [
  'get',
  'describe',
  'logs',
  'wait',
  'rollout',
  'scale',
  'annotate',
  'label',
  'patch',
  'apply',
  'create',
  'delete',
  'replace',
  'exec',
  'run',
  'top',
  'version',
  'api-resources',
  'api-versions',
  'explain',
  'events',
  'auth',
];

const REFUSED: Readonly<Record<string, string>> = {
  config: 'it edits kubeconfig files, whose exec credentials run programs',
  plugin: 'it lists kubectl plugins, which are programs',
  cp: 'it copies local files',
  proxy: "it serves the API with the service's identity on a local port",
  'port-forward': 'it opens local ports',
  attach: 'it attaches to a running container',
  debug: 'it starts debug containers from local files or with node access',
  edit: 'it runs an editor',
  diff: 'it runs an external diff program',
  kustomize: 'it reads local directories',
  'cluster-info': '"cluster-info dump" writes local files',
};

/** Connection and credential options: they read local files, or send the service's token to another server. */
const CONNECTION: Record<string, OptionRule> = {
  ...KUBECONFIG_REFUSED,
  ...refused('s|server cluster user context tls-server-name', "tasks use the service's own cluster, user and context"),
  ...refused('token username password', "tasks use the service's own credentials"),
  ...refused('certificate-authority client-certificate client-key', 'reads local files'),
  ...refused('insecure-skip-tls-verify', "tasks use the service's own cluster settings", 0),
  ...refused('cache-dir log-file log-dir profile-output', 'writes local files'),
  ...refused('profile', 'writes a local profile'),
};

const POLICY: SubcommandPolicy = {
  program: 'kubectl',
  global: optionTable({
    ...valued('n|namespace as as-group as-uid request-timeout v'),
    ...switches('match-server-version warnings-as-errors disable-compression'),
    ...CONNECTION,
  }),
  allowed: ALLOWED,
  refused: REFUSED,
  unknownWhy: (sub) => `unknown sub-commands run kubectl plugins (programs named kubectl-${sub})`,
};

const output: ValueCheck = (v) =>
  /^(jsonpath-file|go-template-file|template-file|templatefile)\b/.test(v) ? `-o ${v} reads a local template file` : undefined;

/** After the sub-command: unknown options are read as switches; these are refused or checked (deny by name). */
const SUB_OPTIONS: Record<string, OptionRule> = {
  ...CONNECTION,
  ...valued('l|selector c|container L|label-columns field-selector'),
  'n|namespace': { values: 1 },
  'o|output': { values: 1, refuse: output },
  'f|filename': { values: 1, refuse: stdinOrHttpList },
  ...refused('k|kustomize', 'reads local directories'),
  ...refused('from-file from-env-file patch-file cert key', 'reads local files'),
  ...refused('edit', 'runs an editor', 0),
};
const SUB = optionTable(SUB_OPTIONS);
/** In `kubectl logs`, -f is --follow. */
const LOGS = optionTable({ ...SUB_OPTIONS, 'f|follow': {} });

/**
 * kubectl: connection options are refused (tasks use the service's cluster and identity), sub-commands are
 * allowed by name (an unknown one would run a kubectl-<name> plugin), and options that read or write local
 * files or run programs are refused by name. What the identity may do in the cluster is RBAC's business:
 * `exec` and `run` are allowed and run commands in pods when the service account may.
 */
export function checkKubectl(args: readonly string[]): void {
  const sub = subcommand(args, POLICY);
  scanArgs(sub.rest, sub.name === 'logs' ? LOGS : SUB, { program: 'kubectl', style: 'pflag', unknown: 'switch' });
}
