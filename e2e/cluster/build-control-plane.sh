#!/usr/bin/env bash
# Installs the local control plane's system packages and provides kube-apiserver and
# kube-controller-manager, once per machine, in $TOLLGATE_CACHE/k8s-v<version> (default cache
# ~/.cache/tollgate):
# - v1.36.2 (the default) and v1.34.9 are unpacked from the prebuilt binaries in ../shared/kubernetes
#   (or $TOLLGATE_K8S_PREBUILT), their SHA256SUMS checked;
# - v1.20.2 is built from Debian's source package (about 5 minutes), the path of a machine without the
#   prebuilt binaries.
# TOLLGATE_K8S_VERSION picks the version (1.36.2, 1.34.9 or 1.20.2); without it: 1.36.2 when the prebuilt
# binaries are there, else 1.20.2.
# Nothing is provided when KUBEBUILDER_ASSETS names a folder holding kube-apiserver and
# kube-controller-manager (etcd may sit there too, as setup-envtest provides), or when KUBECONFIG names
# a cluster to use instead.
# Prints the folder holding the two binaries on stdout (nothing for KUBECONFIG); everything else goes to
# stderr. The e2e harness (e2e/src/cluster/versions.ts) runs this script and starts what it printed, so the
# choice of version lives here alone.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${TOLLGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tollgate}"
PREBUILT="${TOLLGATE_K8S_PREBUILT:-$ROOT/../shared/kubernetes}"
DEFAULT_PREBUILT=1.36.2
LEGACY=1.20.2

log() { printf '[control-plane] %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ $apt_updated -eq 0 ]; then as_root apt-get -o DPkg::Lock::Timeout=600 update -qq >&2; apt_updated=1; fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive as_root apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Runtime packages the e2e suite uses: etcd for the API server, a real Prometheus, hey; Chromium for the
# dashboard's browser tests, only when they run (make test-browser sets TOLLGATE_BROWSER=1).
apt_install etcd-server prometheus hey curl ca-certificates xz-utils
if [ "${TOLLGATE_BROWSER:-}" = 1 ]; then apt_install chromium; fi

if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ] && [ -x "$KUBEBUILDER_ASSETS/kube-controller-manager" ]; then
  log "using binaries from KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
  echo "$KUBEBUILDER_ASSETS"
  exit 0
fi
if [ -n "${KUBECONFIG:-}" ]; then
  log "an external cluster is used: nothing to build"
  exit 0
fi

VERSION="${TOLLGATE_K8S_VERSION:-}"
if [ -z "$VERSION" ]; then
  if [ -f "$PREBUILT/v$DEFAULT_PREBUILT/kube-apiserver.xz" ] || [ -x "$CACHE/k8s-v$DEFAULT_PREBUILT/kube-apiserver" ]; then
    VERSION=$DEFAULT_PREBUILT
  else
    VERSION=$LEGACY
  fi
fi
VERSION="${VERSION#v}"
BIN_DIR="$CACHE/k8s-v$VERSION"

if [ -x "$BIN_DIR/kube-apiserver" ] && [ -x "$BIN_DIR/kube-controller-manager" ]; then
  log "cached binaries in $BIN_DIR"
  echo "$BIN_DIR"
  exit 0
fi

if [ "$VERSION" != "$LEGACY" ]; then
  SRC="$PREBUILT/v$VERSION"
  [ -f "$SRC/kube-apiserver.xz" ] || { log "no prebuilt Kubernetes v$VERSION in $SRC (versions there: $(ls "$PREBUILT" 2>/dev/null | tr '\n' ' '))"; exit 1; }
  mkdir -p "$BIN_DIR.tmp"
  for b in kube-apiserver kube-controller-manager; do
    xz -d -c "$SRC/$b.xz" > "$BIN_DIR.tmp/$b"
    chmod 0755 "$BIN_DIR.tmp/$b"
  done
  (cd "$BIN_DIR.tmp" && grep -E ' (kube-apiserver|kube-controller-manager)$' "$SRC/SHA256SUMS" | sha256sum -c --quiet -) \
    || { log "checksums of $SRC do not match"; rm -rf "$BIN_DIR.tmp"; exit 1; }
  rm -rf "$BIN_DIR" && mv "$BIN_DIR.tmp" "$BIN_DIR"
  log "unpacked Kubernetes v$VERSION into $BIN_DIR"
  echo "$BIN_DIR"
  exit 0
fi

apt_install golang-go rsync make golang-github-modern-go-reflect2-dev dpkg-dev

# Debian source packages come from the same archive with the deb-src type.
SRC_LIST=/etc/apt/sources.list.d/tollgate-debian-src.sources
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && [ -f /etc/apt/sources.list.d/debian.sources ]; then
  sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | as_root tee "$SRC_LIST" >/dev/null
  as_root apt-get update -qq >&2
fi

WORK="$CACHE/build"
rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"
log "fetching Debian's kubernetes source package"
apt-get source --download-only kubernetes >/dev/null 2>&1
tar xzf kubernetes_*.orig.tar.gz
cd kubernetes-$LEGACY

# Kubernetes 1.20 vendors modern-go/reflect2 v1.0.1, which crashes under Go >= 1.18 on the
# first custom resource; Debian ships the fixed v1.0.2.
rm -rf vendor/github.com/modern-go/reflect2 && mkdir -p vendor/github.com/modern-go/reflect2
cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.go /usr/share/gocode/src/github.com/modern-go/reflect2/*.s \
  vendor/github.com/modern-go/reflect2/
rm -f vendor/github.com/modern-go/reflect2/*_test.go
mkdir -p .go/src/k8s.io && ln -sfn ../../.. .go/src/k8s.io/kubernetes

log "building kube-apiserver and kube-controller-manager (about 5 minutes on 2 cores)"
GOPATH=$PWD/.go GOCACHE="$CACHE/go-cache" CGO_ENABLED=0 \
  make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >"$WORK/build.log" 2>&1 \
  || { tail -40 "$WORK/build.log" >&2; exit 1; }

mkdir -p "$BIN_DIR.tmp"
cp _output/bin/kube-apiserver _output/bin/kube-controller-manager "$BIN_DIR.tmp/"
rm -rf "$BIN_DIR" && mv "$BIN_DIR.tmp" "$BIN_DIR"
cd "$CACHE" && rm -rf "$WORK" "$CACHE/go-cache"
log "built into $BIN_DIR"
echo "$BIN_DIR"
