#!/usr/bin/env bash
# Imports every bin/images/*.tar into every node of the running local
# cluster (cluster-up does it at start; this is for images rebuilt since).
# An unchanged image is a no-op for containerd.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

shopt -s nullglob
tars=("$images_dir"/*.tar)
shopt -u nullglob
[[ ${#tars[@]} -gt 0 ]] || { log "no images in $images_dir: run 'make images'"; exit 1; }
for n in "${nodes[@]}"; do
	sock="$cluster/nodes/node-$n/containerd.sock"
	[[ -S $sock ]] || { log "node-$n is not running: run 'make cluster-up'"; exit 1; }
	for t in "${tars[@]}"; do
		ctr -a "$sock" -n k8s.io images import "$t" >>"$logs/images-$n.log" 2>&1 ||
			{ log "importing $t into node-$n failed (logs/images-$n.log)"; exit 1; }
	done
done
log "imported ${#tars[@]} images into ${#nodes[@]} nodes"
