#!/usr/bin/env bash
# Rewrites every golden file in the tree: runs the tests of each package
# that has an -update flag (its own, or providertest's for the vendor
# packages) with -update. Review the diff before committing it.
#
# test/crd starts a control plane (KUBEBUILDER_ASSETS, as make exports it).
#
# Usage: hack/update-golden.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mod="$(go list -m)"
# Packages whose test binary defines -update: a test file declares it, or
# the tests import providertest (which declares it for every vendor).
mapfile -t pkgs < <(
  {
    grep -rl --include='*_test.go' 'flag.Bool("update"' . | xargs -n1 dirname | sort -u | sed "s#^\.#$mod#"
    go list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... |
      awk -v p="$mod/internal/providers/providertest" '{for (i = 2; i <= NF; i++) if ($i == p) {print $1; break}}'
  } | sort -u
)
if [ "${#pkgs[@]}" -eq 0 ]; then
  echo "update-golden: no package has an -update flag" >&2
  exit 1
fi
printf 'update-golden: %s\n' "${pkgs[@]#"$mod/"}"
go test -p 1 -count=1 "${pkgs[@]}" -update
git status --short -- '*testdata*' '*golden*' || true
