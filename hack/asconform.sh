#!/usr/bin/env bash
# Runs the executable Aerospike specification (../shared/asconform) against
# aerolite: builds cmd/aerolite, starts it on a free loopback port, checks
# golden.json, stops the server. Extra arguments go to asconform (e.g. -run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
spec=${ASCONFORM_DIR:-$root/../shared/asconform}
if [ ! -f "$spec/golden.json" ]; then
  echo "asconform: $spec/golden.json not found (set ASCONFORM_DIR)" >&2
  exit 1
fi
mkdir -p "$root/bin"
go build -o "$root/bin/aerolite" "$root/cmd/aerolite"
tmp=$(mktemp -d)
"$root/bin/aerolite" --listen 127.0.0.1:0 --addr-file "$tmp/addr" --quiet 2>"$tmp/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -s "$tmp/addr" ] && break; sleep 0.1; done
addr=$(cat "$tmp/addr")
echo "asconform: checking aerolite at $addr"
(cd "$spec" && go run . -hosts "$addr" -check golden.json "$@")
