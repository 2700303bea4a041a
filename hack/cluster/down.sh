#!/usr/bin/env bash
# Stops exactly what hack/cluster/up.sh started and removes its state: the pods'
# containers, the kubelets, the containerds, the control plane and etcd (by PID,
# SIGTERM then SIGKILL after a grace), the mounts under bin/cluster, the
# /var/log/containers links into it, the kubelets' iptables chains and cgroups;
# restores the kernel settings the kubelets changed; removes bin/cluster and
# bin/kubeconfig; then runs check-clean.sh. Safe to run when nothing is up.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

if [[ $(id -u) -ne 0 ]]; then
	log "must run as root"
	exit 1
fi
lock
start_time=$(date +%s.%N)

# stop PID...: SIGTERM, then SIGKILL whatever is left after the grace period.
grace=${GRACE:-10}
stop() {
	local pids=() p i
	for p in "$@"; do [[ -d /proc/$p ]] && pids+=("$p"); done
	[[ ${#pids[@]} -gt 0 ]] || return 0
	kill -TERM "${pids[@]}" 2>/dev/null
	for ((i = 0; i < grace * 10; i++)); do
		local left=()
		for p in "${pids[@]}"; do [[ -d /proc/$p ]] && [[ $(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) != Z ]] && left+=("$p"); done
		[[ ${#left[@]} -eq 0 ]] && return 0
		sleep 0.1
	done
	log "SIGKILL ${left[*]}"
	kill -KILL "${left[@]}" 2>/dev/null
	sleep 0.2
}
pid_of() { alive "$1" && cat "$run/$1.pid"; }

if [[ -d $cluster ]]; then
	# 1. kubelets first, so nothing restarts the containers.
	stop $(for n in "${nodes[@]}"; do pid_of "kubelet-$n"; done)

	# 2. every container, through its node's containerd while it still runs.
	for n in "${nodes[@]}"; do
		sock="$cluster/nodes/node-$n/containerd.sock"
		alive "containerd-$n" && [[ -S $sock ]] || continue
		ctr_=(ctr -a "$sock" -n k8s.io)
		tasks=$(timeout 10 "${ctr_[@]}" tasks ls -q 2>/dev/null)
		for t in $tasks; do timeout 10 "${ctr_[@]}" tasks kill -s SIGKILL "$t" >/dev/null 2>&1; done
		# containerd's CRI deletes each task once it has exited.
		for _ in $(seq 50); do
			[[ -z $(timeout 10 "${ctr_[@]}" tasks ls -q 2>/dev/null) ]] && break
			sleep 0.1
		done
	done

	# 3. containerds, then the control plane and etcd.
	stop $(for n in "${nodes[@]}"; do pid_of "containerd-$n"; done)
	stop $(pid_of kube-scheduler) $(pid_of kube-controller-manager)
	stop $(pid_of kube-apiserver)
	stop $(pid_of etcd)
fi

# 4. whatever is left in the nodes' cgroups (containers, if containerd failed us).
for n in "${nodes[@]}"; do
	cg=$(cgroup_root "$n")
	left=$(find /sys/fs/cgroup/*/"$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u)
	[[ -z $left ]] || { log "killing what is left in cgroup $cg: $(echo $left)"; kill -KILL $left 2>/dev/null; sleep 0.2; }
done

# 5. any of our programs still mentioning the cluster dir (shims, strays of an
# earlier run); someone's `tail -f bin/cluster/logs/...` is left alone.
strays=$(for p in $(pids_under "$cluster"); do
	case $(cat "/proc/$p/comm" 2>/dev/null) in
	containerd* | kubelet | kube-* | etcd | runc | unshare | ctr) echo "$p" ;;
	esac
done)
if [[ -n $strays ]]; then
	log "stopping leftover processes: $(echo $strays)"
	stop $strays
fi

# 6. mounts under the cluster dir, deepest first.
for pass in 1 2 3; do
	m=$(mounts_under "$cluster")
	[[ -n $m ]] || break
	while IFS= read -r mp; do
		umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || log "cannot unmount $mp"
	done <<<"$m"
done

# 7. /var/log/containers links into the cluster dir (the folder is shared).
if [[ -d /var/log/containers ]]; then
	for l in /var/log/containers/*; do
		[[ -L $l ]] || continue
		t=$(readlink "$l")
		[[ $t == "$cluster/"* ]] && rm -f "$l"
	done
fi

# 8. the chains kubelets create once an iptables binary exists.
for ipt in iptables ip6tables; do
	command -v "$ipt" >/dev/null || continue
	for table in filter nat mangle; do
		for chain in INPUT OUTPUT; do
			while "$ipt" -w -t "$table" -D "$chain" -j KUBE-FIREWALL 2>/dev/null; do :; done
		done
		for chain in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do
			if "$ipt" -w -t "$table" -n -L "$chain" >/dev/null 2>&1; then
				"$ipt" -w -t "$table" -F "$chain" 2>/dev/null
				"$ipt" -w -t "$table" -X "$chain" 2>/dev/null
			fi
		done
	done
done

# 9. what the kubelets leave outside bin/cluster: the device-plugin socket they
# all create in /var/lib/kubelet (unless another kubelet runs), and the folders
# that did not exist before cluster-up, if empty.
other_kubelet=0
for p in $(pgrep -x kubelet); do
	[[ $(awk '{print $3}' "/proc/$p/stat" 2>/dev/null) == Z ]] || other_kubelet=1
done
if [[ $other_kubelet -eq 0 ]]; then
	rm -f /var/lib/kubelet/device-plugins/kubelet.sock
fi
if [[ -f $cluster/created-dirs ]]; then
	tac "$cluster/created-dirs" | while read -r d; do
		[[ -n $d && -d $d ]] && rmdir "$d" 2>/dev/null
	done
fi

# 10. the kubelets' cgroups, deepest first.
for n in "${nodes[@]}"; do
	cg=$(cgroup_root "$n")
	for h in /sys/fs/cgroup/*/; do
		[[ -d $h/$cg ]] || continue
		find "$h/$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
		[[ -d $h/$cg ]] && log "cannot remove cgroup $h$cg"
	done
done

# 11. kernel settings, as they were before the kubelets started.
if [[ -f $cluster/sysctl.saved ]]; then
	while read -r k v; do
		[[ -n $k && -n $v && -e /proc/sys/$k ]] && echo "$v" >"/proc/sys/$k"
	done <"$cluster/sysctl.saved"
fi

# 12. the state.
if [[ -d $cluster ]]; then
	rm -rf "$cluster" 2>/dev/null || { sleep 1; rm -rf "$cluster"; }
fi
rm -f "$kubeconfig_out"

elapsed=$(awk -v a="$start_time" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
log "down in ${elapsed} s"
exec "$root/hack/cluster/check-clean.sh"
