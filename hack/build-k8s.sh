#!/usr/bin/env bash
# Builds the local control plane (kube-apiserver, kubectl, etcd) from the Go
# module proxy into bin/k8s/<version>/. There is no download site for
# setup-envtest binaries here, so we compile them with the wrapper module of
# hack/k8s-wrapper.sh (hack/build-node.sh builds the node binaries the same way).
#
# Idempotent and safe to run concurrently: a lock serialises builders and the
# binaries are moved into place only when all three are built.
#
# Usage: hack/build-k8s.sh [bin-dir]      prints the assets directory on stdout.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=hack/k8s-wrapper.sh
. "$root/hack/k8s-wrapper.sh"
ETCD_VERSION="${ETCD_VERSION:-3.6.16}"
bindir="${1:-$root/bin}"
out="$bindir/k8s/$K8S_VERSION"

have() { [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ] && [ -x "$out/kubectl" ]; }
build_start "$bindir/k8s" "$out"

log "building kube-apiserver, kubectl v$K8S_VERSION and etcd v$ETCD_VERSION from the Go module proxy (about 5 minutes the first time)"

# --- kube-apiserver and kubectl -------------------------------------------
k8s_build_commands "$work/k8s" "$work/out" "$K8S_VERSION" kube-apiserver kubectl

# --- etcd ----------------------------------------------------------------
go_build_command "$work/etcd" "$work/out" etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3

install_built "$work/out" "$out"
