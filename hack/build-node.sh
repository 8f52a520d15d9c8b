#!/usr/bin/env bash
# Builds the node half of the one-node test cluster (test/cluster, make run
# CLUSTER=1) from the Go module proxy into bin/node/<version>/:
# kube-controller-manager, kube-scheduler, kubelet, kube-proxy (the same
# wrapper module as hack/build-k8s.sh, which builds kube-apiserver, kubectl and
# etcd beside them) and CoreDNS for Service DNS names.
#
# Idempotent and safe to run concurrently: a lock serialises builders and the
# binaries are moved into place only when all are built.
#
# Usage: hack/build-node.sh [bin-dir]      prints the node directory on stdout.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=hack/k8s-wrapper.sh
. "$root/hack/k8s-wrapper.sh"
COREDNS_VERSION="${COREDNS_VERSION:-1.15.0}"
bindir="${1:-$root/bin}"
out="$bindir/node/$K8S_VERSION"
cmds=(kube-controller-manager kube-scheduler kubelet kube-proxy)

have() {
	for c in "${cmds[@]}" coredns; do [ -x "$out/$c" ] || return 1; done
}
build_start "$bindir/node" "$out"

log "building ${cmds[*]} v$K8S_VERSION and CoreDNS v$COREDNS_VERSION from the Go module proxy (several minutes the first time)"
k8s_build_commands "$work/k8s" "$work/out" "$K8S_VERSION" "${cmds[@]}"

# --- CoreDNS ---------------------------------------------------------------
go_build_command "$work/coredns" "$work/out" coredns github.com/coredns/coredns "$COREDNS_VERSION" github.com/coredns/coredns

install_built "$work/out" "$out"
