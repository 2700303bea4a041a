#!/usr/bin/env bash
# UNTESTED HERE: written on a machine without Docker; it has never run.
#
# The e2e suite (test/e2e) on a kind cluster: a control plane and three
# workers in zones zone-a/b/c (hack/kind/cluster.yaml), the mxn image built
# with the repo's Dockerfile and loaded into the nodes, aerolite
# (config/aerolite via hack/kind/aerolite) and the operator from the Helm chart
# (dist/chart; webhooks off: they need cert-manager).
#
# Needs docker, kind and kubectl on PATH; helm comes from `make helm`.
# KIND_CLUSTER (default mxn-e2e) names the cluster; KEEP=1 keeps it afterwards.
# Extra arguments go to `go test`, e.g. hack/kind-e2e.sh -ginkgo.focus=zone
set -euo pipefail

cd "$(dirname "$0")/.."
cluster=${KIND_CLUSTER:-mxn-e2e}
image=mxn.mxnlabs.io/mxn:dev
kubeconfig=$PWD/bin/kind-$cluster.kubeconfig
kubectl=(kubectl --kubeconfig "$kubeconfig")

for tool in docker kind kubectl; do
	command -v "$tool" >/dev/null || { echo "kind-e2e: $tool is not on PATH" >&2; exit 1; }
done
[[ -f Dockerfile ]] || { echo "kind-e2e: no Dockerfile at the repo root" >&2; exit 1; }

pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	if [[ ${KEEP:-} != 1 ]]; then kind delete cluster --name "$cluster"; fi
}
trap cleanup EXIT

make build helm
helm=$(make -s --no-print-directory print-helm)

mkdir -p bin
if ! kind get clusters | grep -qx "$cluster"; then
	kind create cluster --name "$cluster" --config hack/kind/cluster.yaml --kubeconfig "$kubeconfig" --wait 5m
else
	kind get kubeconfig --name "$cluster" >"$kubeconfig"
fi

docker build -t "$image" .
kind load docker-image "$image" --name "$cluster"

# The operator: manager and workers in their node's network, where the
# forwarder of hack/kind/aerolite answers on 127.0.0.1:13000.
"$helm" upgrade --install mxn dist/chart --kubeconfig "$kubeconfig" \
	--namespace mxn-system --create-namespace --wait --timeout 5m \
	--set controllerManager.container.image.repository="${image%:*}" \
	--set controllerManager.container.image.tag="${image##*:}" \
	--set controllerManager.container.image.pullPolicy=Never \
	--set controllerManager.hostNetwork=true \
	--set workerImage="$image" --set workerImagePullPolicy=Never --set workerHostNetwork=true

"${kubectl[@]}" apply -k hack/kind/aerolite
"${kubectl[@]}" -n mxn-system rollout status deployment/mxn-aerolite --timeout 5m
"${kubectl[@]}" -n mxn-system rollout status daemonset/mxn-aerolite-forwarder --timeout 5m

# From here: aerolite on 127.0.0.1:13000 and the manager's metrics on
# 127.0.0.1:18443, again after the suite kills the manager's pod.
forward() {
	while true; do
		"${kubectl[@]}" -n mxn-system port-forward "$1" "$2" >/dev/null 2>&1 || true
		sleep 1
	done &
	pids+=("$!")
}
forward svc/mxn-aerolite 13000:3000
forward svc/mxn-controller-manager-metrics-service 18443:8443
sleep 3

go test -tags e2e -count=1 -timeout 30m ./test/e2e -v \
	-kubeconfig "$kubeconfig" -kubectl kubectl -mxn "$PWD/bin/mxn" \
	-aerospike-hosts 127.0.0.1:13000 -metrics-url https://127.0.0.1:18443/metrics \
	-operator-namespace mxn-system "$@"
