/** Help texts. PROG stands for how the CLI was called: "tollgate" or "kubectl tollgate". */

const CLUSTER_FLAGS = `Cluster flags (every command):
  --kubeconfig PATH     kubeconfig file (default: KUBECONFIG, else ~/.kube/config, else in-cluster)
  --context NAME        kubeconfig context (default: the current context)
  -n, --namespace NS    namespace (default: the context's namespace, else "default")
  --request-timeout D   give up on an API request after D (10s, 1m; 0 for never; default 30s)`;

const NO_WAIT_FLAG = '  --no-wait             do not wait (up to 15s) for the operator to acknowledge the request';
const REQUEST_FLAGS = `  --force               record the request even when it makes no sense in the current phase
${NO_WAIT_FLAG}`;

const REQUEST_EXIT = `Exit codes: 0 requested, acknowledged or not (or nothing to do), 1 refused for the current phase, 3 usage, not found or API errors.`;

export const COMMANDS: Record<string, { summary: string; usage: string; body: string }> = {
  get: {
    summary: 'list Canaries: phase, weight, failed checks, revisions, Ready',
    usage: 'get [NAME] [-A] [-o json|yaml|wide]',
    body: `Shows the Canaries of the namespace (or one) as a table: NAME, PHASE, WEIGHT, FAILED (failed checks/threshold),
REVISION (under analysis), PROMOTED, READY (the Ready condition and its reason), AGE.

Flags:
  -A, --all-namespaces  every namespace (adds a NAMESPACE column)
  -o, --output FORMAT   json or yaml (the objects), wide (adds PROVIDER, TARGET, INTERVAL, PAUSED, MESSAGE),
                        name (canary.tollgate.dev/NAME, one a line)

Examples:
  PROG get
  PROG get podinfo -n test -o yaml
  PROG get -A -o wide

Exit codes: 0 listed, 3 usage, not found or API errors.`,
  },
  status: {
    summary: 'the current run: steps, last checks, conditions, Events',
    usage: 'status NAME [--watch] [--until-done] [--all-events] [-o json|yaml]',
    body: `Shows where the current run stands: phase, weight, iteration, failed checks against the threshold, the results of
the last analysis (metric, value, bounds, ok or why not), the conditions, and the Canary's Events, oldest first,
with their times from the run's start and their counts.

Flags:
  -w, --watch           then print one line per change (state, checks, Events) until Ctrl-C
  --until-done          like --watch, but stop when the run ends: exit 0 when promoted, 1 when it failed
  --all-events          also show the Events of earlier runs
  -o, --output FORMAT   json or yaml: {canary, events} as one document (not with --watch or --until-done)

Examples:
  PROG status podinfo -n test
  PROG status podinfo --watch

Exit codes: 0 shown (or promoted with --until-done), 1 failed (--until-done), 3 usage, not found or API errors.`,
  },
  promote: {
    summary: 'promote the revision under analysis now, skipping the remaining steps',
    usage: 'promote NAME [--force] [--no-wait]',
    body: `Sets the annotation tollgate.dev/promote to a new value. The operator promotes the canary revision at its next
reconcile, without the remaining steps and without confirm-promotion gates. Refused unless a run is in progress
(Progressing or WaitingPromotion).

Flags:
${REQUEST_FLAGS}

Example:
  PROG promote podinfo -n test

${REQUEST_EXIT}`,
  },
  abort: {
    summary: 'abort the run: route all traffic back to the primary (Failed)',
    usage: 'abort NAME [--force] [--no-wait]',
    body: `Sets the annotation tollgate.dev/abort to a new value. The operator rolls the canary back at its next reconcile
and the Canary becomes Failed (retry runs the revision again). Refused unless a run is in progress.

Flags:
${REQUEST_FLAGS}

Example:
  PROG abort podinfo -n test

${REQUEST_EXIT}`,
  },
  pause: {
    summary: 'hold the analysis at the current weight',
    usage: 'pause NAME [--no-wait]',
    body: `Sets the annotation tollgate.dev/paused=true. The operator holds the run where it is (no checks, no weight
change) until resume. Paused before a run, the next run holds at its start. promote and abort still act on a
paused run.

Flags:
${NO_WAIT_FLAG}

Example:
  PROG pause podinfo -n test

${REQUEST_EXIT}`,
  },
  resume: {
    summary: 'continue a paused analysis',
    usage: 'resume NAME [--no-wait]',
    body: `Sets the annotation tollgate.dev/paused=false; the analysis goes on from where it was held.

Flags:
${NO_WAIT_FLAG}

Example:
  PROG resume podinfo -n test

${REQUEST_EXIT}`,
  },
  retry: {
    summary: 'analyse a Failed revision again, without touching the workload',
    usage: 'retry NAME [--force] [--no-wait]',
    body: `Sets the annotation tollgate.dev/retry to a new value. The operator starts a new run of the failed revision.
Refused unless the Canary is Failed.

Flags:
${REQUEST_FLAGS}

Example:
  PROG retry podinfo -n test

${REQUEST_EXIT}`,
  },
  wait: {
    summary: 'wait until the current revision is promoted (for CI)',
    usage: 'wait NAME [--timeout 10m] [--for promoted]',
    body: `Prints one line per change and exits when the run is decided:
  0  promoted: Ready=True for the current generation, the revision under analysis is the promoted one, and it
     is the target's current revision (so a wait started right after kubectl apply waits for the new run)
  1  the run failed, or the Canary is Stalled (the reason and message are printed)
  2  timeout (the current phase is printed)
  3  usage, not found, kubeconfig or connection errors

Flags:
  --timeout DURATION    how long to wait, as 90s, 10m or 1h (default 10m)
  --for promoted        the condition to wait for (the only one so far)

Example:
  kubectl apply -f deploy/podinfo.yaml && PROG wait podinfo -n test --timeout 15m`,
  },
  dashboard: {
    summary: 'a web UI of every Canary: live weight chart, checks, Events, and the requests as buttons',
    usage: 'dashboard [--port N] [--address IP] [--allow-remote]',
    body: `Serves a web page on http://127.0.0.1:3100/ with your kubeconfig, so it shows and does what your RBAC allows: every
Canary of the namespaces you can list (all of them, or -n's), and a page per Canary with the canary weight over
time, the last checks against their thresholds, conditions, webhooks and gates, releases and Events, and buttons for
promote, abort, pause, resume and retry (the same requests as these commands; refusals are shown as such). Pages
update live (one watch per kind, pushed by server-sent events). Runs until Ctrl-C.

Flags:
  --port N              the port (default 3100; 0 for any free port, printed)
  --address IP          the address to bind (default 127.0.0.1; not 0.0.0.0 or ::); a non-loopback one needs --allow-remote
  --allow-remote        bind a non-loopback address: anyone who reaches it acts with your credentials

Examples:
  PROG dashboard
  PROG dashboard -n test --port 8080

Exit codes: 0 stopped (Ctrl-C), 3 usage, port in use, kubeconfig or API errors.`,
  },
  history: {
    summary: 'past releases: revision, start, duration, outcome, failure reason',
    usage: 'history NAME [-o json|yaml]',
    body: `Lists the releases of a Canary, newest first: the revision analysed, what started the run (a new revision, a
retry, the initialization), when, how long it took, its outcome (promoted, failed, superseded by a newer revision,
initialized, in progress) and why it failed. Built from the Canary's Events, which the API server keeps an hour by
default, and its status (the current run, and the last one when its Events have expired).

Flags:
  -o, --output FORMAT   json or yaml

Example:
  PROG history podinfo -n test

Exit codes: 0 listed, 3 usage, not found or API errors.`,
  },
  lint: {
    summary: 'check Canary, MetricTemplate and AlertProvider manifests offline (for CI)',
    usage: 'lint FILE... [-o text|json] [--mesh-provider NAME]',
    body: `Checks manifests without a cluster, as applying them would: the CRD schema (types, enums, patterns, bounds,
required and unknown fields), the CEL rules, with the API server's messages, then the operator's own checks of a
Canary. Each finding is a line FILE:LINE:COLUMN: error|warning: MESSAGE (KIND NAMESPACE/NAME). Multi-document YAML
(JSON too); documents of other kinds are skipped; "-" reads standard input; a directory means its *.yaml, *.yml
and *.json files.

Flags:
  -o, --output FORMAT   text (default) or json (findings with file, line, column, path, stage, severity)
  --mesh-provider NAME  the provider of Canaries without spec.provider, as the operator's flag (default istio)

Examples:
  PROG lint deploy/canary.yaml
  kustomize build overlays/prod | PROG lint -

Exit codes: 0 no errors (warnings allowed), 1 errors found, 3 usage error or a file that cannot be read.`,
  },
  convert: {
    summary: 'convert Flagger and Argo Rollouts manifests to tollgate.dev (offline)',
    usage: 'convert FILE... [--allow-dropped] [--mesh-provider NAME]',
    body: `Reads manifests (files, directories, or "-" for the output of kustomize build or helm template) and writes the
same stream to standard output with each Flagger Canary, MetricTemplate and AlertProvider (flagger.app) turned into
its tollgate.dev equivalent, each Argo Rollouts Rollout into a Deployment (when it has its own pod template) and a
Canary, and each AnalysisTemplate or ClusterAnalysisTemplate into MetricTemplates (prometheus, datadog, newRelic and
web metrics whose successCondition is a range). Comments and key order are kept where the object stays the same;
other documents pass through unchanged. Every field that could not be carried over is listed on standard error,
with the reason ("dropped: ..."), as are notes on what changed meaning; the result is then checked as lint checks it.

Flags:
  --allow-dropped       write the output and exit 0 even when fields were dropped
  --mesh-provider NAME  the provider of Canaries without spec.provider, for the checks (default istio)

Examples:
  PROG convert flagger/canary.yaml > tollgate/canary.yaml
  kustomize build overlays/prod | PROG convert - | kubectl apply -f -
  PROG convert --allow-dropped rollout.yaml analysis.yaml services.yaml

Exit codes: 0 converted, 1 fields dropped (without --allow-dropped) or a converted object the API server would
refuse (nothing is written then), 3 usage error or an input that cannot be read or parsed.`,
  },
  migrate: {
    summary: 'take over a Canary Flagger runs, with Flagger scaled to zero (--dry-run prints the plan)',
    usage: 'migrate flagger NAME [--dry-run] [--allow-dropped] [--timeout 5m]',
    body: `Moves one flagger.app Canary to Tollgate without restarting a pod or moving traffic. Flagger must be scaled to
zero first: a Flagger Deployment (labels app.kubernetes.io/name=flagger or app=flagger) with replicas is refused;
when none is found, or Deployments cannot be listed, a warning says so. Only a Canary at rest (Initialized or
Succeeded: all traffic on the primary) is taken over. The steps, each printed:
  1. apply the Canary converted as convert converts it, with the annotation tollgate.dev/takeover: NAME
  2. wait until the operator reports it Initialized: it has moved the controller ownerReference of the -primary
     workload, its config copies and autoscaler, the Services and the mesh objects from Flagger's Canary to it
  3. remove Flagger's finalizer (finalizer.flagger.app) from Flagger's Canary
  4. delete Flagger's Canary with propagationPolicy Orphan, and wait until it is gone
Convert and apply the MetricTemplates and AlertProviders the Canary uses first. See docs/migrating-from-flagger.md.

Flags:
  --dry-run        print the plan and the converted Canary; change nothing
  --allow-dropped  go on when the conversion drops fields (they are listed)
  --timeout D      how long to wait at steps 2 and 4 (default 5m)

Examples:
  PROG migrate flagger podinfo -n test --dry-run
  PROG migrate flagger podinfo -n test

Exit codes: 0 migrated (or planned), 1 refused (Flagger runs, a release is in progress, fields dropped, the Canary
stalled: Flagger's Canary is then left as it is), 2 timeout, 3 usage or API errors.`,
  },
  completion: {
    summary: 'print a shell completion script (bash, zsh or fish)',
    usage: 'completion bash|zsh|fish',
    body: `Completes commands, flags, their fixed values and canary names (by running PROG get -o name with the cluster
flags typed so far).

Examples:
  source <(PROG completion bash)                 # in ~/.bashrc
  PROG completion zsh > "\${fpath[1]}/_tollgate"
  PROG completion fish > ~/.config/fish/completions/tollgate.fish

Exit codes: 0, 3 for an unknown shell.`,
  },
  version: {
    summary: 'print the version',
    usage: 'version',
    body: 'Exit code: 0.',
  },
  help: {
    summary: 'help about a command',
    usage: 'help [COMMAND]',
    body: 'Exit codes: 0, 3 for an unknown command.',
  },
};

export function helpText(prog: string, command?: string): string {
  const sub = (s: string): string => s.replaceAll('PROG', prog);
  if (command) {
    const c = COMMANDS[command]!;
    return sub(`Usage: ${prog} ${c.usage}\n\n${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.\n\n${c.body}\n\n${CLUSTER_FLAGS}`);
  }
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const list = Object.entries(COMMANDS)
    .map(([k, c]) => `  ${k.padEnd(width)}   ${c.summary}`)
    .join('\n');
  return sub(`${prog}: inspect and steer Tollgate canary releases.

Usage: ${prog} COMMAND [NAME] [flags]

Commands:
${list}

${CLUSTER_FLAGS}

Run '${prog} help COMMAND' for a command's flags, examples and exit codes.`);
}
