# Shared by up.sh, down.sh and check-clean.sh: where the local cluster lives and
# which ports it uses. Sourced, not run.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
version=${K8S_VERSION:-v1.35.4}
k8s="$root/bin/k8s/$version"
cluster="$root/bin/cluster"           # every piece of state lives under here
kubeconfig_out="$root/bin/kubeconfig" # the admin kubeconfig (outside the state dir, by request)
images_dir=${MXN_IMAGES_DIR:-$root/bin/images}
pki="$cluster/pki"
logs="$cluster/logs"
run="$cluster/run"                    # PID files
nodes=(a b c)

etcd_port=23790
etcd_peer_port=23800
apiserver_port=6443
kcm_port=10257
scheduler_port=10259
# kubelet API port and healthz port of node-X
kubelet_port() { case $1 in a) echo 11250 ;; b) echo 12250 ;; c) echo 13250 ;; esac; }
kubelet_healthz_port() { case $1 in a) echo 11248 ;; b) echo 12248 ;; c) echo 13248 ;; esac; }
# the cgroup (in every hierarchy) under which node-X's kubelet puts its pods
cgroup_root() { echo "mxn-cluster-node-$1"; }

sandbox_image=mxn.mxnlabs.io/pause:3.10

log() { echo "cluster: $*" >&2; }

# lock: one cluster-up or cluster-down at a time (fd 9; launched daemons close it).
lock() {
	mkdir -p "$root/bin"
	exec 9>"$root/bin/.cluster.lock"
	flock -n 9 || { log "another cluster-up or cluster-down is running"; exit 1; }
}

# alive NAME: the process recorded in run/NAME.pid exists and is ours (its
# command line mentions the cluster dir).
alive() {
	local f="$run/$1.pid" pid
	[[ -f $f ]] || return 1
	pid=$(<"$f")
	[[ -n $pid && -r /proc/$pid/cmdline ]] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$cluster"
}

# components in start order; down stops them in reverse.
components() {
	echo etcd kube-apiserver kube-controller-manager kube-scheduler
	for n in "${nodes[@]}"; do echo "containerd-$n"; done
	for n in "${nodes[@]}"; do echo "kubelet-$n"; done
}

# pids_under DIR: PIDs of processes whose command line mentions DIR.
pids_under() {
	local f pid
	# grep's own command line mentions DIR too; it is gone once grep exits.
	for f in $(grep -laF -- "$1" /proc/[0-9]*/cmdline 2>/dev/null); do
		pid=${f#/proc/}; pid=${pid%/cmdline}
		[[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
		[[ -d /proc/$pid ]] && echo "$pid"
	done
	return 0
}

# mounts_under DIR: mount points at or under DIR, deepest first.
mounts_under() {
	awk -v d="$1" '{ m = $5; gsub(/\\040/, " ", m); if (m == d || index(m, d "/") == 1) print length(m) "\t" m }' /proc/self/mountinfo |
		sort -rn | cut -f2-
}
