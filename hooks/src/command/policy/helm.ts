import {
  checkEach,
  httpUrlOnly,
  KUBECONFIG_REFUSED,
  operands,
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
  'test',
  'status',
  'history',
  'hist',
  'list',
  'ls',
  'get',
  'rollback',
  'install',
  'upgrade',
  'uninstall',
  'un',
  'delete',
  'del',
  'template',
  'show',
];
/** Sub-commands whose operands include a chart reference. */
const WITH_CHART = new Set(['install', 'upgrade', 'template', 'show']);

const REFUSED: Readonly<Record<string, string>> = {
  plugin: 'it installs and runs helm plugins, which are programs',
  repo: 'it writes the repository configuration',
  registry: 'it writes registry credentials',
  pull: 'it writes local files',
  fetch: 'it writes local files',
  push: 'it reads local files',
  package: 'it reads and writes local files',
  dependency: 'it reads and writes local chart directories',
  dep: 'it reads and writes local chart directories',
  create: 'it writes local files',
  lint: 'it reads local files',
  verify: 'it reads local files',
  env: 'it prints the environment',
  search: 'it reads the local repository cache',
};

const CONNECTION: Record<string, OptionRule> = {
  ...KUBECONFIG_REFUSED,
  ...refused('kube-apiserver kube-token kube-context kube-tls-server-name', "tasks use the service's own cluster and credentials"),
  ...refused('kube-insecure-skip-tls-verify', "tasks use the service's own cluster settings", 0),
  ...refused('kube-ca-file registry-config repository-config repository-cache content-cache', 'reads or writes local files'),
};

const POLICY: SubcommandPolicy = {
  program: 'helm',
  global: optionTable({ ...valued('n|namespace kube-as-user kube-as-group burst-limit qps'), ...switches('debug'), ...CONNECTION }),
  allowed: ALLOWED,
  refused: REFUSED,
};

const SUB = optionTable({
  ...CONNECTION,
  ...valued(
    'set set-string set-json set-literal version timeout n|namespace o|output description username password name-template max revision filter l|selector',
  ),
  'f|values': { values: 1, refuse: stdinOrHttpList },
  repo: { values: 1, refuse: httpUrlOnly },
  ...refused('post-renderer post-renderer-args', 'runs a program on the rendered manifests'),
  ...refused('set-file ca-file cert-file key-file keyring output-dir', 'reads or writes local files'),
  ...refused('verify', 'reads a local keyring', 0),
});

/** A local path: absolute, relative to a dot, home, or with a `..` step (charts come from repositories, oci:// or http(s)). */
const notLocal: ValueCheck = (v) =>
  /^(\/|\.|~|file:)/i.test(v) || /(^|\/)\.\.(\/|$)/.test(v)
    ? 'local chart paths are not allowed: use a repository, oci:// or http(s) chart reference'
    : undefined;

/**
 * helm: connection options refused, sub-commands allowed by name (an unknown one would run a plugin),
 * options that run programs (--post-renderer) or read or write local files refused by name, and no local
 * chart path for install, upgrade, template and show.
 */
export function checkHelm(args: readonly string[]): void {
  const sub = subcommand(args, POLICY);
  const tokens = scanArgs(sub.rest, SUB, { program: 'helm', style: 'pflag', unknown: 'switch' });
  if (WITH_CHART.has(sub.name)) checkEach('helm', operands(tokens), notLocal);
}
