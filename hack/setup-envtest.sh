#!/usr/bin/env bash
# Builds what envtest needs, without downloading anything but Go modules and a
# Debian package: kube-apiserver from k8s.io/kubernetes (module hack/k8s, through
# the Go module proxy) and etcd from Debian's etcd-server. Both are cached in
# bin/k8s/<version>/; a second run is a no-op. Prints that folder, which is what
# KUBEBUILDER_ASSETS must point at.
#
# A cold build of kube-apiserver takes 8 to 13 minutes on 2 cores; a warm one
# seconds. Set K8S_COMPONENTS to build more (the local cluster does).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=${K8S_VERSION:-v1.35.4}
components=${K8S_COMPONENTS:-kube-apiserver}
out="$root/bin/k8s/$version"
mkdir -p "$out"

minor=${version#v1.}; minor=${minor%%.*}
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"

for c in $components; do
	if [[ -x "$out/$c" ]]; then
		continue
	fi
	case $c in
	kubectl) pkg=k8s.io/kubernetes/cmd/kubectl ;;
	*) pkg=k8s.io/kubernetes/cmd/$c ;;
	esac
	echo "setup-envtest: building $c $version (a cold build takes minutes)" >&2
	start=$(date +%s)
	(cd "$root/hack/k8s" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out/$c.tmp" "$pkg")
	mv "$out/$c.tmp" "$out/$c"
	echo "setup-envtest: $c built in $(( $(date +%s) - start )) s" >&2
done

if [[ ! -x "$out/etcd" ]]; then
	if ! command -v etcd >/dev/null && [[ ! -x /usr/bin/etcd ]]; then
		echo "setup-envtest: installing Debian's etcd-server" >&2
		if [[ $(id -u) -ne 0 ]]; then
			echo "setup-envtest: etcd is missing and installing it needs root (apt-get install etcd-server)" >&2
			exit 1
		fi
		# The package would start a system etcd; forbid service starts while it installs.
		policy=/usr/sbin/policy-rc.d
		had_policy=0; [[ -e $policy ]] && had_policy=1
		[[ $had_policy -eq 1 ]] || { printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; }
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends etcd-server >&2 ||
			{ DEBIAN_FRONTEND=noninteractive apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends etcd-server >&2; }
		[[ $had_policy -eq 1 ]] || rm -f "$policy"
	fi
	cp "$(command -v etcd || echo /usr/bin/etcd)" "$out/etcd"
fi

echo "$out"
