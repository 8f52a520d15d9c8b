#!/usr/bin/env bash
# Builds the real observability backends the telemetry tests talk to, each from
# the Go module proxy in its own wrapper module (they pull other client-go and
# OpenTelemetry versions than the project's go.mod, so they never enter it):
#   bin/obs/jaeger-v<JAEGER_VERSION>/jaeger          Jaeger v2 (OTLP in, query API out)
#   bin/obs/prometheus-v<PROMETHEUS_VERSION>/prometheus   Prometheus (scrape, PromQL API)
#
# Idempotent and safe to run concurrently: a lock serialises builders and a
# binary is moved into place only when it is built. Cached: a second run with
# the binaries present returns at once.
#
# Usage: hack/build-observability.sh [bin-dir] [jaeger|prometheus]...
#        (no names: both). Prints one built binary path per line on stdout.
set -euo pipefail

JAEGER_VERSION="${JAEGER_VERSION:-1.76.0}"
PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-0.316.0}"
root="$(cd "$(dirname "$0")/.." && pwd)"
bindir="${1:-$root/bin}"
shift || true
want=("$@")
[ ${#want[@]} -gt 0 ] || want=(jaeger prometheus)

log() { echo "build-observability: $*" >&2; }

# build NAME MODULE VERSION PACKAGE
build() {
	local name="$1" module="$2" version="$3" pkg="$4"
	local out="$bindir/obs/$name-v$version"
	if [ -x "$out/$name" ]; then echo "$out/$name"; return 0; fi
	mkdir -p "$bindir/obs"
	(
		flock 9
		if [ -x "$out/$name" ]; then exit 0; fi
		work="$(mktemp -d "$bindir/obs/build.XXXXXX")"
		trap 'rm -rf "$work"' EXIT
		log "building $pkg v$version from the Go module proxy (minutes the first time)"
		start=$(date +%s)
		cd "$work"
		cat > go.mod <<MOD
module tollgate.dev/build/$name

go 1.26.0

require $module v$version
MOD
		cat > tools.go <<GO
//go:build tools

package tools

import _ "$pkg"
GO
		GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true
		CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$work/$name" "$pkg"
		mkdir -p "$out.tmp.$$"
		mv "$work/$name" "$out.tmp.$$/"
		rm -rf "$out"
		mv "$out.tmp.$$" "$out"
		log "$name ready in $out ($(( $(date +%s) - start )) s)"
	) 9>"$bindir/obs/.lock-$name"
	echo "$out/$name"
}

for w in "${want[@]}"; do
	case "$w" in
	jaeger) build jaeger github.com/jaegertracing/jaeger "$JAEGER_VERSION" github.com/jaegertracing/jaeger/cmd/jaeger ;;
	prometheus) build prometheus github.com/prometheus/prometheus "$PROMETHEUS_VERSION" github.com/prometheus/prometheus/cmd/prometheus ;;
	*) log "unknown backend $w (jaeger|prometheus)"; exit 2 ;;
	esac
done
