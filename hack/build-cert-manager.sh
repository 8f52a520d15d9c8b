#!/usr/bin/env bash
# Builds cert-manager's controller for the one-node test cluster
# (test/cluster) from the Go module proxy into
# bin/cert-manager/<version>/cert-manager-controller: hack/cert-manager's
# small main (its own module: the proxy serves cert-manager's main module
# but not the nested module of its cmd/) linked against the
# github.com/cert-manager/cert-manager version go.mod requires. The Venafi
# issuer is left out (a dependency of it is not served).
#
# Idempotent and safe to run concurrently (a lock serialises builders; the
# binary is moved into place when built).
#
# Usage: hack/build-cert-manager.sh [bin-dir]   prints the binary's path on stdout.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bindir="${1:-$root/bin}"
version="$(cd "$root" && go list -m -f '{{.Version}}' github.com/cert-manager/cert-manager)"
out="$bindir/cert-manager/$version/cert-manager-controller"
if [ -x "$out" ]; then echo "$out"; exit 0; fi

mkdir -p "$bindir/cert-manager"
exec 9>"$bindir/cert-manager/.lock"
flock 9
if [ -x "$out" ]; then echo "$out"; exit 0; fi

work="$(mktemp -d "$bindir/cert-manager/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "build-cert-manager: building cert-manager $version's controllers from the Go module proxy (a few minutes the first time)" >&2
cp "$root/hack/cert-manager/main.go" "$work/"
cat > "$work/go.mod" <<MOD
module tollgate.dev/build/cert-manager

go 1.26.0

require github.com/cert-manager/cert-manager $version
MOD
cd "$work"
GOFLAGS="-mod=mod -tags=certmanager" go mod tidy -e >/dev/null 2>&1 || true
CGO_ENABLED=0 GOFLAGS=-mod=mod go build -tags certmanager -trimpath -ldflags "-s -w" -o "$work/cert-manager-controller" .
mkdir -p "$(dirname "$out")"
mv "$work/cert-manager-controller" "$out"
echo "build-cert-manager: ready in $out" >&2
echo "$out"
