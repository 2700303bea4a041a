# mxn: multi-record transactions for Aerospike.
# `make demo` runs the main job on the embedded server; `make test` runs every test
# (and checks that go.mod/go.sum are tidy).

SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
SEEDS ?= 2000
FIRST ?= 1
GOTEST_FLAGS ?= -race -count=1 -timeout 40m

.PHONY: all
all: build

.PHONY: help
help: ## Show the targets.
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*?## "}{printf "  %-12s %s\n", $$1, $$2}'

.PHONY: build
build: ## Build every command into bin/ (static: CGO_ENABLED=0).
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/ ./cmd/...

.PHONY: images
images: build ## Build the images as OCI tarballs into bin/images/ (mxn.tar, pause.tar) without Docker; import with `ctr -n k8s.io images import`.
	$(GO) run ./hack/image --out $(BIN)/images

CONTROLLER_TOOLS_VERSION ?= v0.23.0
CONTROLLER_GEN := $(BIN)/tools/controller-gen-$(CONTROLLER_TOOLS_VERSION)

$(CONTROLLER_GEN):
	@mkdir -p $(BIN)/tools
	GOBIN=$(BIN)/tools $(GO) install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
	mv $(BIN)/tools/controller-gen $@

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRDs, RBAC and webhook configuration into config/.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd webhook paths="./api/..." paths="./controllers/..." paths="./internal/..." output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate the DeepCopy methods of the API types.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: generate-check
generate-check: manifests generate ## Fail if `make manifests generate` changes the tree.
	@out=$$(git status --porcelain -- api config controllers); if [ -n "$$out" ]; then echo "generated files are stale: run 'make manifests generate' and commit the result:"; echo "$$out"; git diff --stat -- api config controllers; exit 1; fi

KUSTOMIZE_VERSION ?= v5.7.1
KUSTOMIZE := $(BIN)/tools/kustomize-$(KUSTOMIZE_VERSION)
KUBECTL ?= kubectl
IMG ?= controller:latest

$(KUSTOMIZE):
	@mkdir -p $(BIN)/tools
	GOBIN=$(BIN)/tools $(GO) install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)
	mv $(BIN)/tools/kustomize $@

.PHONY: kustomize
kustomize: $(KUSTOMIZE) ## Install kustomize into bin/tools.

HELM_VERSION ?= v3.22.0
HELM := $(BIN)/tools/helm-$(HELM_VERSION)

$(HELM):
	@mkdir -p $(BIN)/tools
	GOBIN=$(BIN)/tools $(GO) install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
	mv $(BIN)/tools/helm $@

.PHONY: helm
helm: $(HELM) ## Install helm into bin/tools (from the Go module proxy).

.PHONY: print-helm
print-helm: ## Print the path of the helm binary (for scripts).
	@echo $(HELM)

.PHONY: chart
chart: ## Regenerate the Helm chart's CRDs, RBAC rules and webhooks (dist/chart) from config/ (hack/chartgen).
	$(GO) run ./hack/chartgen -config config -chart dist/chart

.PHONY: chart-lint
chart-lint: chart $(HELM) ## Lint the Helm chart.
	$(HELM) lint --strict dist/chart

.PHONY: kind-e2e
kind-e2e: ## The e2e suite on a kind cluster (needs Docker and kind; hack/kind-e2e.sh).
	./hack/kind-e2e.sh

.PHONY: install
install: manifests $(KUSTOMIZE) ## Install the CRDs into the cluster of the current kubectl context.
	$(KUSTOMIZE) build config/crd | $(KUBECTL) apply --server-side -f -

.PHONY: uninstall
uninstall: manifests $(KUSTOMIZE) ## Remove the CRDs (and every LoadTest, Reconciliation and Cleanup) from the cluster.
	$(KUSTOMIZE) build config/crd | $(KUBECTL) delete --ignore-not-found -f -

.PHONY: deploy
deploy: manifests $(KUSTOMIZE) ## Deploy the operator (IMG=...) into the cluster; needs cert-manager for the webhook certificate.
	cd config/manager && $(KUSTOMIZE) edit set image controller=$(IMG)
	$(KUSTOMIZE) build config/default | $(KUBECTL) apply --server-side -f -

.PHONY: undeploy
undeploy: $(KUSTOMIZE) ## Remove the operator (and its CRDs) from the cluster.
	$(KUSTOMIZE) build config/default | $(KUBECTL) delete --ignore-not-found -f -

.PHONY: build-installer
build-installer: manifests generate $(KUSTOMIZE) ## Write dist/install.yaml: CRDs and operator (IMG=...) in one file.
	@mkdir -p dist
	cd config/manager && $(KUSTOMIZE) edit set image controller=$(IMG)
	$(KUSTOMIZE) build config/default > dist/install.yaml

.PHONY: fmt
fmt: ## gofmt the tree.
	gofmt -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## go vet, and fail on unformatted files.
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: tidy-check
tidy-check: ## Fail if `go mod tidy` would change go.mod or go.sum, here, in test/v8smoke or in hack/k8s (prints the diff).
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run 'go mod tidy' and commit the result" >&2; exit 1; }
	@cd test/v8smoke && $(GO) mod tidy -diff || { echo "test/v8smoke/go.mod/go.sum are not tidy: run 'go mod tidy' there and commit the result" >&2; exit 1; }
	@cd hack/k8s && $(GO) mod tidy -diff || { echo "hack/k8s/go.mod/go.sum are not tidy: run 'go mod tidy' there and commit the result" >&2; exit 1; }

.PHONY: envtest
envtest: ## Build kube-apiserver and etcd for the envtest suites into bin/k8s/ (prints the folder for KUBEBUILDER_ASSETS).
	./hack/setup-envtest.sh

.PHONY: cluster-up
cluster-up: ## Start the local cluster (root): control plane and nodes node-a/b/c (kubelet + containerd each) in zones a/b/c; admin kubeconfig in bin/kubeconfig.
	./hack/cluster/up.sh

.PHONY: cluster-down
cluster-down: ## Stop the local cluster, remove its state (bin/cluster) and check that nothing is left.
	./hack/cluster/down.sh

.PHONY: unit
unit: $(HELM) ## Go tests with the race detector (the envtest suites get KUBEBUILDER_ASSETS from hack/setup-envtest.sh unless it is set; the chart tests get HELM).
	@assets="$${KUBEBUILDER_ASSETS:-}"; if [ -z "$$assets" ]; then assets=$$(./hack/setup-envtest.sh) || exit 1; fi; \
	echo "KUBEBUILDER_ASSETS=$$assets"; \
	KUBEBUILDER_ASSETS="$$assets" HELM=$(HELM) $(GO) test $(GOTEST_FLAGS) ./...

.PHONY: v8smoke
v8smoke: ## Smoke tests with aerospike-client-go v8 against aerolite (a module of its own: test/v8smoke).
	cd test/v8smoke && $(GO) test -count=1 ./...

.PHONY: asconform
asconform: ## Check aerolite against the recorded Aerospike behaviour (../shared/asconform).
	./hack/asconform.sh

.PHONY: test
test: tidy-check generate-check vet unit v8smoke asconform ## The checks, unit and envtest suites, v8 smoke and conformance (.ci/run then runs test-e2e).

.PHONY: sim
sim: ## Deterministic simulation over SEEDS seeds from FIRST (default 2000 from 1); failures print a replay command.
	@set -o pipefail; $(GO) test -count=1 -timeout 0 -v ./pkg/sim -run 'TestSimulation$$' -sim.seeds=$(SEEDS) -sim.first=$(FIRST) | grep -v ': ok; '

.PHONY: bench
bench: ## Benchmarks (set AEROSPIKE_HOSTS to also target a real server).
	$(GO) test -run '^$$' -bench . -benchtime 3s ./pkg/...

.PHONY: fuzz
fuzz: ## Fuzz the aerolite frame decoder for a minute.
	$(GO) test -run '^$$' -fuzz FuzzFrame -fuzztime 60s ./pkg/aerolite/

.PHONY: demo
demo: build images cluster-up deploy-local ## The main job: the operator on a local three-node cluster runs a LoadTest with failures and a killed worker, then Reconciliation, Cleanup, Reconciliation.
	$(GO) run ./hack/demo --kubeconfig $(BIN)/kubeconfig --kubectl $(BIN)/k8s/v1.35.4/kubectl $(if $(AEROSPIKE_HOSTS),--aerospike-hosts $(AEROSPIKE_HOSTS))

LOCAL_KUBECTL := $(BIN)/k8s/v1.35.4/kubectl --kubeconfig $(BIN)/kubeconfig

.PHONY: deploy-local
deploy-local: ## Deploy the operator and aerolite into the local cluster with kustomize (config/local) and the images of bin/images; wait until ready.
	./hack/cluster/images.sh
	@if $(HELM) --kubeconfig $(BIN)/kubeconfig -n mxn-system status mxn >/dev/null 2>&1; then \
		echo "the operator was installed with Helm (make deploy-local-helm): uninstalling it first"; \
		$(HELM) --kubeconfig $(BIN)/kubeconfig -n mxn-system uninstall mxn --wait; fi
	$(LOCAL_KUBECTL) apply --server-side --force-conflicts -k config/local
	$(LOCAL_KUBECTL) -n mxn-system rollout restart deployment/mxn-controller-manager deployment/mxn-aerolite
	$(LOCAL_KUBECTL) -n mxn-system rollout status deployment/mxn-controller-manager deployment/mxn-aerolite --timeout=180s

.PHONY: deploy-local-helm
deploy-local-helm: $(HELM) ## Install the operator into the local cluster with the Helm chart (hack/cluster/helm-values.yaml), aerolite with kustomize; wait until ready.
	./hack/cluster/images.sh
	@if [ "$$($(LOCAL_KUBECTL) -n mxn-system get deployment mxn-controller-manager -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by}' 2>/dev/null)" = kustomize ]; then \
		echo "the operator was deployed with kustomize (make deploy-local / make demo): Helm cannot take it over; run make cluster-down first" >&2; exit 1; fi
	$(HELM) --kubeconfig $(BIN)/kubeconfig upgrade --install mxn dist/chart -n mxn-system --create-namespace -f hack/cluster/helm-values.yaml --wait --timeout 3m
	$(LOCAL_KUBECTL) apply --server-side --force-conflicts -k config/local/aerolite
	$(LOCAL_KUBECTL) -n mxn-system rollout restart deployment/mxn-controller-manager deployment/mxn-aerolite
	$(LOCAL_KUBECTL) -n mxn-system rollout status deployment/mxn-controller-manager deployment/mxn-aerolite --timeout=180s

.PHONY: test-e2e
test-e2e: build images cluster-up deploy-local-helm ## The end-to-end suite on the local three-node cluster (operator installed with the Helm chart; any cluster: see test/e2e and hack/kind-e2e.sh).
	E2E_WATCH_CLUSTERIP=1 $(GO) test -tags e2e -count=1 -timeout 40m ./test/e2e -kubeconfig $(BIN)/kubeconfig -kubectl $(BIN)/k8s/v1.35.4/kubectl -mxn $(BIN)/mxn -ginkgo.v

.PHONY: demo-cli
demo-cli: build ## The quick demo without Kubernetes: worker processes (two killed mid-run) against an embedded aerolite, then cleanup, then reconcile.
	$(BIN)/mxn tst --embedded -i --records 1000 --procs 8 --txns 500 --fpct 50 --kill 2
