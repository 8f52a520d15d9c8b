#!/usr/bin/env bash
# Fails when checked-in generated files (deepcopy, CRDs, RBAC, the vendor
# list, bundle) differ from what the generators produce now. It snapshots
# the generated paths, regenerates, and compares, so uncommitted-but-correct work passes.
set -euo pipefail
cd "$(dirname "$0")/.."
paths=(api config/crd config/rbac internal/console/dist internal/providers/vendors/vendors.go)
[ -d bundle ] && [ -x hack/bundle.sh ] && paths+=(bundle bundle.Dockerfile)
[ -x hack/argocd-cm.sh ] && paths+=(argocd)
[ -x hack/helm-chart.sh ] && paths+=(charts)
snap="$(mktemp -d)"
trap 'rm -rf "$snap"' EXIT
for p in "${paths[@]}"; do [ -e "$p" ] && mkdir -p "$snap/$(dirname "$p")" && cp -a "$p" "$snap/$p"; done
hack/generate.sh >/dev/null
hack/console.sh >/dev/null
if [ -x hack/bundle.sh ]; then hack/bundle.sh >/dev/null; fi
if [ -x hack/argocd-cm.sh ]; then hack/argocd-cm.sh >/dev/null; fi
if [ -x hack/helm-chart.sh ]; then hack/helm-chart.sh >/dev/null; fi
stale=0
for p in "${paths[@]}"; do
  if ! diff -r -q "$snap/$p" "$p" >/dev/null 2>&1; then
    echo "generated files under $p are stale:"; diff -r "$snap/$p" "$p" | head -40 || true
    stale=1
  fi
done
if [ "$stale" = 1 ]; then
  echo "run 'make generate console bundle argocd-cm helm-chart' and commit the result"
  exit 1
fi
echo "generated files are up to date"
