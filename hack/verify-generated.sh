#!/usr/bin/env bash
# Fails when checked-in generated files (deepcopy, CRDs, RBAC, bundle) differ
# from what the generators produce now. It snapshots the generated paths,
# regenerates, and compares, so uncommitted-but-correct work passes.
set -euo pipefail
cd "$(dirname "$0")/.."
paths=(api config/crd config/rbac)
[ -d bundle ] && [ -x hack/bundle.sh ] && paths+=(bundle)
snap="$(mktemp -d)"
trap 'rm -rf "$snap"' EXIT
for p in "${paths[@]}"; do [ -e "$p" ] && mkdir -p "$snap/$(dirname "$p")" && cp -a "$p" "$snap/$p"; done
hack/generate.sh >/dev/null
[ -x hack/bundle.sh ] && hack/bundle.sh >/dev/null
stale=0
for p in "${paths[@]}"; do
  if ! diff -r -q "$snap/$p" "$p" >/dev/null 2>&1; then
    echo "generated files under $p are stale:"; diff -r "$snap/$p" "$p" | head -40 || true
    stale=1
  fi
done
if [ "$stale" = 1 ]; then
  echo "run 'make generate' (and 'make bundle') and commit the result"
  exit 1
fi
echo "generated files are up to date"
