#!/usr/bin/env bash
# Brings up a local Kubernetes cluster on this machine: etcd, kube-apiserver
# (Node,RBAC, NodeRestriction), kube-controller-manager, kube-scheduler and three
# nodes node-a/b/c (zones zone-a/b/c), each a kubelet with its own containerd.
# All state lives in bin/cluster/; the admin kubeconfig is bin/kubeconfig.
# Running it on a running cluster does nothing. hack/cluster/down.sh undoes it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [[ $(id -u) -ne 0 ]]; then
	log "must run as root (kubelets and containerd need it)"
	exit 1
fi
lock

start_time=$(date +%s.%N)
since() { awk -v a="$start_time" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# --- already running? --------------------------------------------------------
if [[ -d $run ]]; then
	up=0 total=0
	for c in $(components); do
		total=$((total + 1))
		alive "$c" && up=$((up + 1))
	done
	if [[ $up -eq $total ]] &&
		"$k8s/kubectl" --kubeconfig "$cluster/kubeconfigs/admin" get --raw /readyz >/dev/null 2>&1; then
		[[ -f $kubeconfig_out ]] || install -m 600 "$cluster/kubeconfigs/admin" "$kubeconfig_out"
		log "already running ($total processes, apiserver ready): nothing to do"
		exit 0
	fi
	log "a cluster is partly up ($up of $total processes alive) in $cluster: run 'make cluster-down' first"
	exit 1
fi
if [[ -e $cluster ]]; then
	log "$cluster exists but holds no running cluster: run 'make cluster-down' first"
	exit 1
fi
for p in $etcd_port $etcd_peer_port $apiserver_port $kcm_port $scheduler_port \
	$(for n in "${nodes[@]}"; do kubelet_port "$n"; kubelet_healthz_port "$n"; done); do
	if ss -Htln "sport = :$p" | grep -q .; then
		log "port $p is already in use (another cluster?); stopping"
		exit 1
	fi
done

# --- binaries ----------------------------------------------------------------
K8S_COMPONENTS="kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl" \
	"$root/hack/setup-envtest.sh" >/dev/null
etcd_bin="$k8s/etcd"
[[ -x $etcd_bin ]] || etcd_bin=/usr/bin/etcd

apt_install() {
	# Forbid service starts while installing: a system containerd must not run.
	local policy=/usr/sbin/policy-rc.d had_policy=0
	[[ -e $policy ]] && had_policy=1
	[[ $had_policy -eq 1 ]] || { printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; }
	log "installing $* with apt"
	local rc=0
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2 ||
		{ DEBIAN_FRONTEND=noninteractive apt-get update >&2 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2; } || rc=$?
	[[ $had_policy -eq 1 ]] || rm -f "$policy"
	[[ $rc -eq 0 ]] || { log "apt-get install $* failed"; exit 1; }
	# Under systemd the unit may still be enabled: keep it from running.
	if [[ " $* " == *" containerd "* ]] && [[ -d /run/systemd/system ]]; then
		systemctl disable --now containerd.service >&2 || true
	fi
}
missing=()
command -v containerd >/dev/null || missing+=(containerd)
command -v runc >/dev/null || missing+=(runc)
[[ ${#missing[@]} -eq 0 ]] || apt_install "${missing[@]}"
if [[ -d /run/systemd/system ]] && systemctl is-active --quiet containerd.service 2>/dev/null; then
	log "note: the system containerd service is running; it is left alone (this cluster uses its own sockets)"
fi

# --- record kernel settings the kubelets change, before anything else -----------
mkdir -p "$cluster" "$logs" "$run" "$pki"
for k in kernel/panic kernel/panic_on_oops vm/overcommit_memory; do
	echo "$k $(</proc/sys/$k)"
done >"$cluster/sysctl.saved"
# Folders the kubelets and shims create outside bin/cluster whatever their flags
# say (a device-plugin socket in /var/lib/kubelet, shim sockets in
# /run/containerd/s, links in /var/log/containers): those missing now are
# removed by down.sh if empty.
for p in /var/lib/kubelet /var/lib/kubelet/device-plugins /var/log/containers /run/containerd /run/containerd/s; do
	[[ -e $p ]] || echo "$p"
done >"$cluster/created-dirs"

# On failure, say where to look; the state stays for debugging.
trap 'rc=$?; if [[ $rc -ne 0 ]]; then log "bring-up FAILED; logs in $logs; run make cluster-down to clean up"; fi' EXIT

# --- certificates ------------------------------------------------------------
gen_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
# sign NAME SUBJECT EXTENSIONS: pki/NAME.{key,crt} signed by the cluster CA.
sign() {
	local name=$1 subj=$2 ext=$3
	gen_key "$pki/$name.key"
	openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
	printf '%s\n' "$ext" >"$pki/$name.ext"
	openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
		-days 365 -sha256 -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
	rm -f "$pki/$name.csr" "$pki/$name.ext"
}
client_ext='basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth'
server_ext() {
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$1"
}

gen_key "$pki/ca.key"
openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=mxn-local-cluster-ca" -days 365 -sha256 \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
	-out "$pki/ca.crt" 2>/dev/null
sign apiserver "/CN=kube-apiserver" "$(server_ext 'IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local')"
sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "$client_ext"
sign controller-manager "/CN=system:kube-controller-manager" "$client_ext"
sign scheduler "/CN=system:kube-scheduler" "$client_ext"
sign admin "/O=system:masters/CN=mxn-admin" "$client_ext"
for n in "${nodes[@]}"; do
	sign "node-$n" "/O=system:nodes/CN=system:node:node-$n" "$client_ext"
	sign "node-$n-serving" "/CN=node-$n" "$(server_ext "DNS:node-$n,IP:127.0.0.1")"
done
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/sa.key" 2>/dev/null
openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
chmod 600 "$pki"/*.key

# kubeconfig FILE CERTNAME: a kubeconfig for the apiserver with pki/CERTNAME.
kubeconfig() {
	cat >"$1" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: mxn-local
  cluster:
    server: https://127.0.0.1:$apiserver_port
    certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 "$pki/$2.crt")
    client-key-data: $(base64 -w0 "$pki/$2.key")
contexts:
- name: mxn-local
  context: {cluster: mxn-local, user: $2}
current-context: mxn-local
YAML
}
mkdir -p "$cluster/kubeconfigs"
for k in admin controller-manager scheduler; do kubeconfig "$cluster/kubeconfigs/$k" "$k"; done
for n in "${nodes[@]}"; do kubeconfig "$cluster/kubeconfigs/node-$n" "node-$n"; done
# bin/kubeconfig embeds its certificates: it can be copied anywhere on the machine.
install -m 600 "$cluster/kubeconfigs/admin" "$kubeconfig_out"
kubectl=("$k8s/kubectl" --kubeconfig "$kubeconfig_out")

# --- processes -----------------------------------------------------------------
# launch NAME CMD...: start CMD in its own session, log to logs/NAME.log, PID in run/NAME.pid.
launch() {
	local name=$1
	shift
	setsid bash -c 'echo $$ >"$0"; exec "$@"' "$run/$name.pid" "$@" </dev/null >"$logs/$name.log" 2>&1 9>&- &
}
# wait_for WHAT SECONDS CMD...: retry CMD every 0.2 s.
wait_for() {
	local what=$1 deadline=$(($(date +%s) + $2))
	shift 2
	until "$@" >/dev/null 2>&1; do
		if [[ $(date +%s) -ge $deadline ]]; then
			log "timed out waiting for $what"
			return 1
		fi
		sleep 0.2
	done
}

launch etcd "$etcd_bin" --name mxn-local --data-dir "$cluster/etcd" \
	--listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
	--listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
	--initial-cluster "mxn-local=http://127.0.0.1:$etcd_peer_port" \
	--unsafe-no-fsync --quota-backend-bytes 2147483648 --log-level warn

# The apiserver reaches kubelets by node name: give it, in a mount namespace of
# its own, a hosts file naming the nodes (the machine's /etc/hosts is untouched).
{
	cat /etc/hosts
	echo "127.0.0.1 ${nodes[*]/#/node-}"
} >"$cluster/hosts"
launch kube-apiserver unshare --mount --propagation private \
	bash -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$cluster/hosts" \
	"$k8s/kube-apiserver" \
	--bind-address=127.0.0.1 --secure-port="$apiserver_port" \
	--etcd-servers="http://127.0.0.1:$etcd_port" \
	--client-ca-file="$pki/ca.crt" \
	--tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
	--kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
	--kubelet-client-key="$pki/apiserver-kubelet-client.key" \
	--kubelet-certificate-authority="$pki/ca.crt" \
	--kubelet-preferred-address-types=Hostname,InternalIP \
	--authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
	--service-account-issuer=https://kubernetes.default.svc.cluster.local \
	--service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
	--service-cluster-ip-range=10.0.0.0/24 --endpoint-reconciler-type=none \
	--allow-privileged=true --profiling=false

# containerd per node, while the apiserver starts.
for n in "${nodes[@]}"; do
	d="$cluster/nodes/node-$n"
	mkdir -p "$d/containerd/root" "$d/containerd/state" "$d/cni/bin" "$d/cni/conf" "$d/runc" "$d/opt"
	cp "$root/hack/cluster/cni/mxn-loopback" "$d/cni/bin/mxn-loopback"
	cp "$root/hack/cluster/cni/mxn-loopback" "$d/cni/bin/loopback"
	cat >"$d/cni/conf/10-mxn.conflist" <<JSON
{"cniVersion": "1.0.0", "name": "mxn-node-$n", "plugins": [{"type": "mxn-loopback"}]}
JSON
	cat >"$d/containerd.toml" <<TOML
version = 2
root = "$d/containerd/root"
state = "$d/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "$d/containerd.sock"

[debug]
  level = "info"

[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$sandbox_image"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$d/cni/bin"
    conf_dir = "$d/cni/conf"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "$d/runc"
        SystemdCgroup = false
TOML
	launch "containerd-$n" containerd --config "$d/containerd.toml"
done

# Images: every bin/images/*.tar into every node's containerd.
shopt -s nullglob
tars=("$images_dir"/*.tar)
shopt -u nullglob
[[ ${#tars[@]} -gt 0 ]] || log "warning: no images in $images_dir (run 'make images'); pods will not start without $sandbox_image"
# node_up X: node-X's images, then (once the apiserver is ready) its kubelet.
# The nodes come up in parallel, while the apiserver starts.
node_up() {
	local n=$1 d="$cluster/nodes/node-$1" cg h t
	wait_for "containerd of node-$n (logs/containerd-$n.log)" 30 ctr -a "$d/containerd.sock" version || return 1
	for t in "${tars[@]}"; do
		ctr -a "$d/containerd.sock" -n k8s.io images import "$t" >>"$logs/images-$n.log" 2>&1 ||
			{ log "importing $t into node-$n failed (logs/images-$n.log)"; return 1; }
	done
	cg=$(cgroup_root "$n")
	# The kubelet wants its cgroup root to exist in every hierarchy.
	for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		[[ -e $h/cgroup.procs ]] || continue
		mkdir -p "$h/$cg"
		if [[ -e $h/cpuset.cpus && ! -e $h/cgroup.controllers ]]; then
			cat "$h/cpuset.cpus" >"$h/$cg/cpuset.cpus"
			cat "$h/cpuset.mems" >"$h/$cg/cpuset.mems"
		fi
	done
	mkdir -p "$d/kubelet" "$d/kubelet-certs" "$d/pod-logs" "$d/volume-plugins"
	cat >"$d/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $(kubelet_port "$n")
healthzBindAddress: 127.0.0.1
healthzPort: $(kubelet_healthz_port "$n")
readOnlyPort: 0
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$cg
failSwapOn: false
oomScoreAdj: 0
containerRuntimeEndpoint: unix://$d/containerd.sock
podLogsDir: $d/pod-logs
volumePluginDir: $d/volume-plugins
tlsCertFile: $pki/node-$n-serving.crt
tlsPrivateKeyFile: $pki/node-$n-serving.key
rotateCertificates: false
serverTLSBootstrap: false
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization:
  mode: Webhook
evictionHard:
  memory.available: "1Mi"
  nodefs.available: "1%"
  nodefs.inodesFree: "1%"
  imagefs.available: "1%"
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
resolvConf: /etc/resolv.conf
nodeStatusReportFrequency: 10s
YAML
	wait_for "the apiserver (logs/kube-apiserver.log)" 60 "${kubectl[@]}" get --raw /readyz || return 1
	launch "kubelet-$n" "$k8s/kubelet" --config="$d/kubelet.yaml" \
		--kubeconfig="$cluster/kubeconfigs/node-$n" \
		--root-dir="$d/kubelet" --cert-dir="$d/kubelet-certs" \
		--hostname-override="node-$n" --node-labels="topology.kubernetes.io/zone=zone-$n"
}
node_jobs=()
for n in "${nodes[@]}"; do
	node_up "$n" &
	node_jobs+=($!)
done
log "$(since) s: certificates written; etcd, apiserver and containerds started"
wait_for "the apiserver (logs/kube-apiserver.log)" 60 "${kubectl[@]}" get --raw /readyz
log "$(since) s: apiserver ready"

# Started once RBAC is bootstrapped (the controller-manager exits if it cannot read its config).
launch kube-controller-manager "$k8s/kube-controller-manager" \
	--kubeconfig="$cluster/kubeconfigs/controller-manager" \
	--authentication-kubeconfig="$cluster/kubeconfigs/controller-manager" \
	--authorization-kubeconfig="$cluster/kubeconfigs/controller-manager" \
	--bind-address=127.0.0.1 --secure-port="$kcm_port" --leader-elect=false \
	--controllers='*,-nodeipam' --use-service-account-credentials=true \
	--root-ca-file="$pki/ca.crt" --service-account-private-key-file="$pki/sa.key" \
	--cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
	--profiling=false
launch kube-scheduler "$k8s/kube-scheduler" \
	--kubeconfig="$cluster/kubeconfigs/scheduler" \
	--authentication-kubeconfig="$cluster/kubeconfigs/scheduler" \
	--authorization-kubeconfig="$cluster/kubeconfigs/scheduler" \
	--bind-address=127.0.0.1 --secure-port="$scheduler_port" --leader-elect=false --profiling=false


for j in "${node_jobs[@]}"; do wait "$j" || exit 1; done
log "$(since) s: images imported (${#tars[@]} per node), kubelets started"

all_ready() {
	local out
	out=$("${kubectl[@]}" get nodes --no-headers 2>/dev/null) || return 1
	[[ $(grep -c ' Ready ' <<<"$out") -eq ${#nodes[@]} ]]
}
wait_for "${#nodes[@]} Ready nodes (logs/kubelet-*.log)" 120 all_ready
log "$(since) s: nodes Ready"
wait_for "the default ServiceAccount" 60 "${kubectl[@]}" -n default get serviceaccount default
for c in $(components); do
	alive "$c" || { log "$c exited (logs/$c.log)"; exit 1; }
done

elapsed=$(since)
"${kubectl[@]}" get nodes -L topology.kubernetes.io/zone >&2
log "up in ${elapsed} s; kubectl --kubeconfig $kubeconfig_out (state and logs in $cluster)"
