#!/usr/bin/env bash
# Regenerates the Helm chart charts/tollgate from the kustomize build of
# config/default (CRDs into crds/, every other object a template with holes
# for the chart's values). Deterministic: running it twice leaves the tree
# unchanged.
#
# Usage: hack/helm-chart.sh
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./hack/helm-chart -root .
