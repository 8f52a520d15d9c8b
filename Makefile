# Tollgate — the two commands a newcomer needs are `make run` and `make test`.
# Everything else they need (control-plane binaries, controller-gen, Redis) is
# built or installed on first use and cached under bin/.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

K8S_VERSION ?= 1.37.2
BIN         := $(CURDIR)/bin
ASSETS      := $(BIN)/k8s/$(K8S_VERSION)
NODE_BIN    := $(BIN)/node/$(K8S_VERSION)
IMG         ?= ghcr.io/tollgate-dev/tollgate:dev
BUNDLE_IMG  ?= ghcr.io/tollgate-dev/tollgate-bundle:v0.1.0
GO_TEST     ?= go test
export KUBEBUILDER_ASSETS := $(ASSETS)
export TOLLGATE_NODE_BIN := $(NODE_BIN)
# Under make, a control plane that cannot start fails its tests instead of
# skipping them.
export TOLLGATE_REQUIRE_ENVTEST := 1
export TOLLGATE_REQUIRE_BROWSER := 1
# The coding-agent tests (test/agents) fail, not skip, when the agents are
# missing; they run the copies `make agents` installs.
export TOLLGATE_REQUIRE_AGENTS := 1
export TOLLGATE_AGENTS_DIR := $(BIN)/agents
export TOLLGATE_OPENAI_NODE_DIR := $(BIN)/openai-node
# The observability tests (test/observability) fail, not skip, when Jaeger or
# Prometheus is missing; they run the copies `make observability` builds.
export TOLLGATE_REQUIRE_OBSERVABILITY := 1
export TOLLGATE_BIN_DIR := $(BIN)
export PATH := $(BIN):$(PATH)

# Test tiers, as Envoy AI Gateway has them:
# - CONTROL_PLANE_PKGS start a control plane (their tests import
#   internal/testenv: a real kube-apiserver and etcd) or a real cluster
#   (test/cluster). They run one at a time (-p 1): each starts its own and
#   the machine has two cores.
# - SERIAL_PKGS start no control plane but are timing-sensitive (the soak
#   and the SIGTERM-with-streams tests): -race, one package at a time.
# - UNIT_PKGS are the rest, test/sdk, test/console and test/packaging
#   included: -race, packages in parallel.
# The lists are computed from imports, so a new package lands in the right
# tier without editing this file.
PKG_IMPORTS        = go list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... 2>/dev/null
CONTROL_PLANE_PKGS = $(shell $(PKG_IMPORTS) | awk '$$1 !~ /\/test\/cluster(\/|$$)/ && (/internal\/testenv( |$$)/ || $$1 ~ /\/internal\/testenv$$/) {print $$1}')
# CLUSTER_PKGS need the real one-node cluster (make test-cluster).
CLUSTER_PKGS       = $(shell go list ./test/cluster/... 2>/dev/null)
SERIAL_PKGS        = $(shell go list ./test/soak/... 2>/dev/null)
UNIT_PKGS          = $(filter-out $(CONTROL_PLANE_PKGS) $(SERIAL_PKGS) $(CLUSTER_PKGS),$(shell go list ./... 2>/dev/null | grep -v -e '/hack/'))

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: fmt
fmt: ## Format the Go code.
	gofmt -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: lint
lint: ## Run golangci-lint with .golangci.yml (the pinned version is built into bin/).
	hack/lint.sh

.PHONY: generate
generate: ## Generate deepcopy code, CRDs and RBAC (controller-gen, built into bin/).
	hack/generate.sh

.PHONY: console
console: ## Build the web console into internal/console/dist (checked in; needs Node 20+ and npm).
	hack/console.sh

.PHONY: manifests
manifests: generate ## Same as generate: CRDs and RBAC are produced by the same controller-gen run.

.PHONY: verify-generated
verify-generated: ## Fail if generated files are stale (regenerates into the tree and compares).
	hack/verify-generated.sh

.PHONY: verify-fmt
verify-fmt: ## Fail if any Go file is not gofmt-ed.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-ed:"; echo "$$out"; exit 1; fi

##@ Test

.PHONY: test
test: k8s-assets redis chromium agents openai-node observability verify-fmt vet lint verify-generated test-unit test-serial test-envtest test-cluster ## Run the whole test suite (what CI runs).

.PHONY: test-unit
test-unit: redis chromium agents openai-node observability ## Tests that start no control plane (unit, data plane, Redis, SDKs, console, packaging): -race, in parallel.
	$(GO_TEST) -race -count=1 $(UNIT_PKGS)
	$(GO_TEST) -count=1 -run 'AllocationBudget' ./internal/proxy/ # allocation counts need the build without -race

.PHONY: test-serial
test-serial: redis ## Timing-sensitive tests with no control plane (soak, SIGTERM with streams): -race, one package at a time.
	$(GO_TEST) -race -p 1 -count=1 -timeout 15m $(SERIAL_PKGS)

.PHONY: test-envtest
test-envtest: k8s-assets redis agents ## CRD validation, controller, Helm and end-to-end tests on a real kube-apiserver + etcd: one package at a time.
	$(GO_TEST) -p 1 -count=1 -timeout 30m $(CONTROL_PLANE_PKGS)

.PHONY: update-golden
update-golden: k8s-assets ## Rewrite every golden file (each package's -update flag), then review the diff.
	hack/update-golden.sh

.PHONY: test-cluster
test-cluster: k8s-assets node-assets cluster-deps redis ## The real one-node cluster suite (test/cluster; needs root): pods, kube-proxy, CoreDNS, rolling update under load, Helm install and operator upgrade.
	TOLLGATE_REQUIRE_CLUSTER=1 $(GO_TEST) -v -count=1 -timeout 40m ./test/cluster/

.PHONY: test-cluster-tls
test-cluster-tls: k8s-assets node-assets cluster-deps cert-manager-assets ## Opt-in: the cluster suite's install and samples, then cert-manager's own controllers issue the gateway's certificate and HTTPS is served (docs/install.md says why it is not in make test).
	TOLLGATE_REQUIRE_CLUSTER=1 TOLLGATE_CERT_MANAGER="$$(hack/build-cert-manager.sh "$(BIN)")" \
		$(GO_TEST) -v -count=1 -timeout 40m ./test/cluster/ -run 'TestCluster/(KustomizeInstall|SamplesServeThroughServiceDNS|CertManagerTLS)$$'

.PHONY: k8s-assets
k8s-assets: ## Build kube-apiserver, etcd and kubectl from the Go module proxy into bin/k8s/ (cached).
	@hack/build-k8s.sh "$(BIN)" >/dev/null

.PHONY: node-assets
node-assets: ## Build kube-controller-manager, kube-scheduler, kubelet, kube-proxy and CoreDNS into bin/node/ (cached).
	@hack/build-node.sh "$(BIN)" >/dev/null

.PHONY: cert-manager-assets
cert-manager-assets: ## Build cert-manager's controllers (hack/cert-manager, the version in go.mod) into bin/cert-manager/ (cached; test/cluster runs them).
	@hack/build-cert-manager.sh "$(BIN)" >/dev/null

.PHONY: cluster-deps
cluster-deps: ## Install Debian's containerd, runc, CNI plugins, iptables and conntrack when missing.
	@hack/install-node.sh

.PHONY: cluster-up
cluster-up: k8s-assets node-assets cluster-deps ## Start the one-node test cluster (root; state and logs in bin/cluster) with the local images.
	go run ./hack/cluster up

.PHONY: cluster-diagnose
cluster-diagnose: ## Say why pods on the running test cluster are not coming up: disk, node conditions, pods not Ready, warning events, their logs.
	go run ./hack/cluster diagnose

.PHONY: cluster-down
cluster-down: ## Stop the one-node test cluster and remove everything it started.
	go run ./hack/cluster down

.PHONY: redis
redis: ## Install Debian's redis-server when it is missing.
	@hack/install-redis.sh

.PHONY: agents
agents: ## Install the pinned Claude Code and Codex CLI into bin/agents and the TypeScript MCP SDK into bin/mcp-sdk, from npm (cached; test/agents and test/mcp run them).
	@hack/install-agents.sh "$(BIN)"
	@hack/install-mcp-sdk.sh "$(BIN)"

.PHONY: openai-node
openai-node: ## Install the pinned OpenAI Node SDK from npm into bin/openai-node (cached; test/sdk runs it).
	@hack/install-openai-node.sh "$(BIN)"

.PHONY: observability
observability: ## Build Jaeger v2 and Prometheus from the Go module proxy into bin/obs/ (cached; the observability tests run them).
	@hack/build-observability.sh "$(BIN)" >/dev/null

.PHONY: chromium
chromium: ## Install Debian's chromium when missing (the console's browser test).
	@hack/install-chromium.sh

.PHONY: bench
bench: redis ## Print the benchmark table: direct, bare reverse proxy, tollgate with local and Redis limits, streaming (bounded, 127.0.0.1, about a minute). BENCH_FLAGS=-portkey adds the Portkey gateway (npm, installed under bin/portkey).
	go run ./hack/bench $(BENCH_FLAGS)
	go test -run '^$$' -bench . -benchmem -benchtime 2000x ./internal/identity/

.PHONY: pgo
pgo: redis ## Write a CPU profile of BenchmarkProxy (local and Redis limits) to bin/pgo/default.pgo, for a profile-guided build (go build -pgo=bin/pgo/default.pgo ./cmd/tollgate); see docs/performance.md for why it is not checked in.
	mkdir -p bin/pgo
	go test -run '^$$' -bench 'BenchmarkProxy/tollgate-(local|redis)-limits' -benchtime 20000x -cpuprofile bin/pgo/default.pgo -o bin/pgo/proxy.test ./internal/proxy/

.PHONY: soak
soak: redis ## Opt-in soak and chaos run (mixed traffic, reloads, Redis killed, SIGTERM with streams); TOLLGATE_SOAK_DURATION=10m for the long run.
	TOLLGATE_SOAK=1 $(GO_TEST) -v -count=1 -timeout 30m ./test/soak/

.PHONY: scale
SCALE_FIGURES = $(BIN)/scale/figures.jsonl

scale: k8s-assets ## Opt-in scale run: compile, shard and hot-reload 10,000 and 100,000 Consumers (cold and a one-Consumer change, incremental); 10,000 brought-key Consumers served from the real Secrets on envtest, with the API writes of a quiet minute; convergence from cold at 10,000, 30,000 and 100,000 with the operator in its own process (about 50 min on 2 cores). Ends with issue 16's table of targets and what was measured.
	mkdir -p $(BIN)/scale && rm -f $(SCALE_FIGURES)
	TOLLGATE_SCALE_FIGURES=$(SCALE_FIGURES) go run ./hack/scale
	TOLLGATE_SCALE_FIGURES=$(SCALE_FIGURES) go run ./hack/scale -consumers 100000 -repeat 3 -reloads 2 -n 2000
	go test -count=1 -p 1 -run '^$$' -bench 'OneConsumerChange|CompileSplit' -benchtime 3x ./internal/compile/
	go test -count=1 -p 1 -run '^$$' -bench 'ShardSwap' -benchtime 10x ./internal/proxy/
	TOLLGATE_SCALE_FIGURES=$(SCALE_FIGURES) TOLLGATE_SCALE=1 TOLLGATE_SHARD_CONSUMERS=$${TOLLGATE_SHARD_CONSUMERS:-10000} go test -count=1 -p 1 -v -timeout 90m -run 'TestShardedConfigScale' ./internal/controller/
	for n in $${TOLLGATE_COLD_CONSUMERS:-10000 30000 100000}; do TOLLGATE_SCALE_FIGURES=$(SCALE_FIGURES) TOLLGATE_SCALE=1 TOLLGATE_COLD_CONSUMERS=$$n go test -count=1 -p 1 -v -timeout 60m -run 'TestColdConvergence' ./test/scale/ || exit 1; done
	go run ./hack/scalereport $(SCALE_FIGURES)

##@ Build

.PHONY: build
build: ## Build the tollgate binary into bin/.
	CGO_ENABLED=0 go build -trimpath -o $(BIN)/tollgate ./cmd/tollgate

.PHONY: image
image: ## Build the operator/proxy image without an engine (OCI archive in bin/image/); loaded into the test cluster when it runs.
	go run ./hack/cluster image

.PHONY: docker-build
docker-build: ## Build the operator/proxy image (needs a container engine; none runs on the dev machines).
	docker build -t $(IMG) .

.PHONY: bundle
bundle: ## Regenerate the OLM bundle (bundle/, bundle.Dockerfile) from config/manifests.
	hack/bundle.sh

.PHONY: bundle-build
bundle-build: ## Build the OLM bundle image (needs a container engine).
	docker build -f bundle.Dockerfile -t $(BUNDLE_IMG) .

.PHONY: helm-chart
helm-chart: ## Regenerate the Helm chart charts/tollgate from the kustomize build of config/default.
	hack/helm-chart.sh

.PHONY: argocd-cm
argocd-cm: ## Regenerate argocd/argocd-cm.yaml from the Lua health checks.
	hack/argocd-cm.sh

.PHONY: install
install: manifests ## Install the CRDs into the cluster of $$KUBECONFIG.
	kubectl apply --server-side -k config/crd

.PHONY: deploy
deploy: manifests ## Install the operator into the cluster of $$KUBECONFIG (kustomize config/default).
	kubectl apply --server-side -k config/default

.PHONY: undeploy
undeploy: ## Remove the operator (and the CRDs, with every Tollgate object) from the cluster.
	kubectl delete -k config/default --ignore-not-found

.PHONY: run
ifeq ($(CLUSTER),1)
run: k8s-assets node-assets cluster-deps ## Start a local control plane, the operator, the samples and a serving gateway (CLUSTER=1: gateway pods in the one-node cluster; root).
	go run ./hack/cluster run
else
run: k8s-assets build ## Start a local control plane, the operator, the samples and a serving gateway (CLUSTER=1: gateway pods in the one-node cluster; root).
	$(BIN)/tollgate dev --assets "$(ASSETS)"
endif
