#!/usr/bin/env bash
# Exits non-zero, saying why, if anything of the local cluster is left: a
# process whose command line mentions bin/cluster, a mount under it, the folder
# itself, a /var/log/containers link into it or a cgroup of its kubelets.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

dirty=0
p=$(pids_under "$cluster")
if [[ -n $p ]]; then
	log "not clean: processes mention $cluster:"
	for pid in $p; do echo "  $pid $(tr '\0' ' ' </proc/$pid/cmdline 2>/dev/null | cut -c1-200)" >&2; done
	dirty=1
fi
m=$(mounts_under "$cluster")
if [[ -n $m ]]; then
	log "not clean: mounts under $cluster:"
	sed 's/^/  /' <<<"$m" >&2
	dirty=1
fi
if [[ -e $cluster ]]; then
	log "not clean: $cluster exists"
	dirty=1
fi
for l in /var/log/containers/*; do
	[[ -L $l && $(readlink "$l") == "$cluster/"* ]] && { log "not clean: link $l"; dirty=1; }
done
for n in "${nodes[@]}"; do
	for h in /sys/fs/cgroup/*/; do
		[[ -d $h$(cgroup_root "$n") ]] && { log "not clean: cgroup $h$(cgroup_root "$n")"; dirty=1; }
	done
done
if [[ $dirty -eq 0 ]]; then
	log "clean: nothing of $cluster is left"
fi
exit $dirty
