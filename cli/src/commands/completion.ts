/**
 * Shell completion scripts, generated from the CLI's own tables of commands and flags (main.ts), so they cannot
 * drift. Canary names are completed by running `tollgate get -o name` with the cluster flags typed so far.
 * zsh loads the bash function through bashcompinit (one implementation, tested with bash). Pure.
 */

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export interface FlagSpec {
  long: string;
  short?: string;
  /** Takes a value. */
  value: boolean;
  /** The values it takes, when they are a fixed list. */
  values?: readonly string[];
}

interface CommandSpec {
  name: string;
  summary: string;
  flags: FlagSpec[];
  /** What its positional arguments are. */
  args: 'canary' | 'files' | 'command' | 'shell' | 'none';
}

export interface CompletionSpec {
  /** Flags every command takes. */
  global: FlagSpec[];
  commands: CommandSpec[];
}

const spellings = (f: FlagSpec): string[] => [`--${f.long}`, ...(f.short ? [`-${f.short}`] : [])];

/** The global flags that take a value, every spelling: they name the cluster, passed on to `tollgate get -o name`. */
const clusterFlags = (spec: CompletionSpec): string[] => [...new Set(spec.global.filter((f) => f.value).flatMap(spellings))];

export function completionScript(shell: Shell, spec: CompletionSpec): string {
  if (shell === 'fish') return fishScript(spec);
  const bash = bashScript(spec);
  if (shell === 'bash') return bash;
  return `#compdef tollgate kubectl-tollgate
# zsh completion for tollgate: the bash completion, through zsh's bashcompinit.
autoload -U +X bashcompinit && bashcompinit
${bash}`;
}

function bashScript(spec: CompletionSpec): string {
  const all = [...spec.global, ...spec.commands.flatMap((c) => c.flags)];
  const cluster = clusterFlags(spec);
  const valued = [...new Set(all.filter((f) => f.value).flatMap(spellings))];
  const valueCases = all.filter((f) => f.values).map((f) => `      ${spellings(f).join('|')}) values="${f.values!.join(' ')}" ;;`);
  const perCommand = spec.commands.map((c) => `    ${c.name}) flags="${c.flags.flatMap(spellings).join(' ')}"; args=${c.args} ;;`);
  const byCommandValues = spec.commands.flatMap((c) =>
    c.flags.filter((f) => f.values).map((f) => `    ${c.name}:${spellings(f).join(`|${c.name}:`)}) values="${f.values!.join(' ')}" ;;`),
  );
  return `# bash completion for tollgate (source it, or put it in /etc/bash_completion.d/tollgate)
_tollgate() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" cmd="" i w
  local -a cluster=()
  [[ $COMP_CWORD -gt 0 ]] && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in
      ${cluster.join('|')}) cluster+=("$w" "\${COMP_WORDS[i+1]}"); ((i++)) ;;
      ${valued.filter((f) => !cluster.includes(f)).join('|')}) ((i++)) ;;
      -*) ;;
      *) [[ -z "$cmd" ]] && cmd="$w" ;;
    esac
  done
  local values="" flags="" args=none
  case "$cmd:$prev" in
${byCommandValues.join('\n')}
    *)
      case "$prev" in
${valueCases.join('\n')}
        --kubeconfig) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
        ${valued.filter((f) => !all.some((a) => a.values && spellings(a).includes(f)) && f !== '--kubeconfig').join('|')}) COMPREPLY=(); return ;;
      esac ;;
  esac
  if [[ -n "$values" ]]; then COMPREPLY=($(compgen -W "$values" -- "$cur")); return; fi
  case "$cmd" in
${perCommand.join('\n')}
  esac
  if [[ -z "$cmd" ]]; then
    if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "${spec.global.flatMap(spellings).join(' ')}" -- "$cur"))
    else COMPREPLY=($(compgen -W "${spec.commands.map((c) => c.name).join(' ')}" -- "$cur")); fi
    return
  fi
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$flags ${spec.global.flatMap(spellings).join(' ')}" -- "$cur")); return; fi
  case "$args" in
    canary) COMPREPLY=($(compgen -W "$("\${COMP_WORDS[0]}" get -o name "\${cluster[@]}" 2>/dev/null | sed 's|^.*/||')" -- "$cur")) ;;
    files) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
    command) COMPREPLY=($(compgen -W "${spec.commands.map((c) => c.name).join(' ')}" -- "$cur")) ;;
    shell) COMPREPLY=($(compgen -W "${SHELLS.join(' ')}" -- "$cur")) ;;
  esac
}
complete -F _tollgate tollgate kubectl-tollgate
`;
}

const fishQuote = (s: string): string => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

function fishFlag(f: FlagSpec, condition: string): string {
  const parts = [`complete -c tollgate${condition}`, `-l ${f.long}`];
  if (f.short) parts.push(`-s ${f.short}`);
  if (f.values) parts.push(`-x -a ${fishQuote(f.values.join(' '))}`);
  else if (f.long === 'kubeconfig') parts.push('-r -F');
  else if (f.value) parts.push('-x');
  return parts.join(' ');
}

function fishScript(spec: CompletionSpec): string {
  const names = spec.commands.map((c) => c.name).join(' ');
  const lines = [
    '# fish completion for tollgate (save as ~/.config/fish/completions/tollgate.fish)',
    'function __tollgate_canaries',
    '    set -l args',
    '    set -l words (commandline -opc)',
    '    for i in (seq 2 (count $words))',
    `        if contains -- $words[$i] ${clusterFlags(spec).join(' ')}`,
    '            set -a args $words[$i] $words[(math $i + 1)]',
    '        end',
    '    end',
    "    $words[1] get -o name $args 2>/dev/null | string replace -r '^.*/' ''",
    'end',
    'complete -c tollgate -f',
    ...spec.global.map((f) => fishFlag(f, '')),
    ...spec.commands.map(
      (c) => `complete -c tollgate -n "not __fish_seen_subcommand_from ${names}" -a ${c.name} -d ${fishQuote(c.summary)}`,
    ),
  ];
  for (const c of spec.commands) {
    const when = ` -n "__fish_seen_subcommand_from ${c.name}"`;
    lines.push(...c.flags.map((f) => fishFlag(f, when)));
    if (c.args === 'canary') lines.push(`complete -c tollgate${when} -a '(__tollgate_canaries)'`);
    if (c.args === 'files') lines.push(`complete -c tollgate${when} -F`);
    if (c.args === 'command') lines.push(`complete -c tollgate${when} -a ${fishQuote(names)}`);
    if (c.args === 'shell') lines.push(`complete -c tollgate${when} -a ${fishQuote(SHELLS.join(' '))}`);
  }
  return `${lines.join('\n')}\n`;
}
