#!/usr/bin/env bash
# Runs each argument as a shell command, all at once, each with its output in a file of its own; prints each
# output whole as its command ends (in the order they end), then exits 1 if any command failed, naming it.
# make test runs the two e2e passes this way: each has its own control plane, so they do not disturb each other.
set -uo pipefail
[ $# -gt 0 ] || { echo "usage: $0 'command' ['command'...]" >&2; exit 2; }
cmds=("$@")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for n in "${!cmds[@]}"; do
  echo "[parallel] started: ${cmds[$n]}"
  (
    bash -c "${cmds[$n]}" >"$dir/$n.log" 2>&1
    echo $? >"$dir/$n.rc"
  ) &
done
failed=()
left=${#cmds[@]}
while [ "$left" -gt 0 ]; do
  wait -n 2>/dev/null
  # 127: no child is left; a command that wrote no exit code was killed.
  if [ $? = 127 ]; then for n in "${!cmds[@]}"; do [ -f "$dir/$n.rc" ] || echo killed >"$dir/$n.rc"; done; fi
  for n in "${!cmds[@]}"; do
    [ -f "$dir/$n.rc" ] && [ ! -f "$dir/$n.shown" ] || continue
    touch "$dir/$n.shown"
    rc=$(cat "$dir/$n.rc")
    echo "== [parallel] ended with exit $rc: ${cmds[$n]}"
    cat "$dir/$n.log"
    [ "$rc" = 0 ] || failed+=("${cmds[$n]}")
    left=$((left - 1))
  done
done
if [ ${#failed[@]} -gt 0 ]; then
  printf '== [parallel] failed: %s\n' "${failed[@]}"
  exit 1
fi
