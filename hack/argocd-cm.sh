#!/usr/bin/env bash
# Regenerates argocd/argocd-cm.yaml (the argocd-cm snippet with Tollgate's
# Argo CD health checks) from argocd/<group>/<Kind>/health.lua.
#
# Usage: hack/argocd-cm.sh
set -euo pipefail
cd "$(dirname "$0")/.."
go run ./hack/argocd-cm -root .
