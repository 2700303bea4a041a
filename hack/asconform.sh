#!/usr/bin/env bash
# Runs the executable Aerospike specification (../shared/asconform) against
# aerolite: builds cmd/aerolite, starts it on a free loopback port, checks
# golden.json, then the fidelity scenarios (build tag fidelity) against
# golden_fidelity.json on the same server, and stops the server. It fails if
# either check fails. Extra arguments go to asconform (e.g. -run, -v); the
# fidelity check always runs its own scenarios (-run '^fidelity/').
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
spec=${ASCONFORM_DIR:-$root/../shared/asconform}
for golden in golden.json golden_fidelity.json; do
  if [ ! -f "$spec/$golden" ]; then
    echo "asconform: $spec/$golden not found (set ASCONFORM_DIR)" >&2
    exit 1
  fi
done
mkdir -p "$root/bin"
go build -o "$root/bin/aerolite" "$root/cmd/aerolite"
tmp=$(mktemp -d)
"$root/bin/aerolite" --listen 127.0.0.1:0 --addr-file "$tmp/addr" --quiet 2>"$tmp/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -s "$tmp/addr" ] && break; sleep 0.1; done
addr=$(cat "$tmp/addr")
status=0
echo "asconform: checking aerolite at $addr (golden.json)"
(cd "$spec" && go run . -hosts "$addr" -check golden.json "$@") || status=1
echo "asconform: checking aerolite at $addr (golden_fidelity.json)"
(cd "$spec" && go run -tags fidelity . -hosts "$addr" -check golden_fidelity.json "$@" -run '^fidelity/') || status=1
exit $status
