//go:build tools

// Package k8s only pins, for `go mod tidy`, the packages behind the commands
// hack/k8s-build.sh builds with `go build k8s.io/kubernetes/cmd/<name>`.
package k8s

import (
	_ "k8s.io/kubectl/pkg/cmd"
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	_ "k8s.io/kubernetes/cmd/kube-scheduler/app"
	_ "k8s.io/kubernetes/cmd/kubelet/app"
)
