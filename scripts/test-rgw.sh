#!/usr/bin/env bash
# `npm run test:rgw`: the end-to-end and fault suites again, against Ceph's radosgw (a production S3) instead of s3rver.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${REGISTRAR_RGW_DIR:-/tmp/registrar-rgw-test}

trap 'scripts/rgw/stop.sh "$dir" >&2' EXIT
scripts/rgw/start.sh "$dir" >/dev/null
set -a
# shellcheck disable=SC1091
. "$dir/env"
set +a
echo "radosgw at $REGISTRAR_S3_ENDPOINT"

npm run build --silent
NODE_OPTIONS='--experimental-vm-modules --openssl-legacy-provider' npx jest --runInBand __tests__/e2e/ __tests__/faults/ "$@"
