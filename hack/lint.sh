#!/usr/bin/env bash
# Runs golangci-lint with the checked-in .golangci.yml. It first builds the
# pinned version into bin/ from the Go module proxy (like controller-gen in
# hack/generate.sh), so every machine lints with the same analyzers.
#
# Usage: hack/lint.sh [golangci-lint run flags...]
set -euo pipefail

GOLANGCI_LINT_VERSION="${GOLANGCI_LINT_VERSION:-v2.15.0}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

gl="$root/bin/golangci-lint"
if [ ! -x "$gl" ] || ! "$gl" version 2>/dev/null | grep -q "version ${GOLANGCI_LINT_VERSION#v} "; then
  echo "lint: building golangci-lint $GOLANGCI_LINT_VERSION into bin/" >&2
  GOBIN="$root/bin" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_LINT_VERSION"
fi
exec "$gl" run "$@" ./...
