#!/usr/bin/env bash
# Regenerates the OLM bundle: bundle/manifests, bundle/metadata and
# bundle.Dockerfile, from config/manifests (the CSV base, config/default,
# config/samples) and the +operator-sdk markers in api/v1alpha1.
#
# Deterministic: running it twice leaves the tree unchanged. The bundle's
# version is spec.version in config/manifests/bases; its image is the one
# config/manager/kustomization.yaml pins.
#
# Usage: hack/bundle.sh
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./hack/bundle -root .
