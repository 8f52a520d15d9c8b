#!/usr/bin/env bash
# Generates the API's deepcopy code and CRD manifests with controller-gen,
# which it first builds into bin/ at a pinned version (controller-tools
# v0.23.x is built against k8s.io v0.37, like our controller-runtime v0.25).
#
# Idempotent: running it twice leaves the tree unchanged.
#
# Usage: hack/generate.sh
set -euo pipefail

CONTROLLER_TOOLS_VERSION="${CONTROLLER_TOOLS_VERSION:-v0.23.0}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

cg="$root/bin/controller-gen"
want="Version: $CONTROLLER_TOOLS_VERSION"
if [ ! -x "$cg" ] || [ "$("$cg" --version 2>/dev/null)" != "$want" ]; then
  echo "generate: building controller-gen $CONTROLLER_TOOLS_VERSION into bin/" >&2
  GOBIN="$root/bin" go install "sigs.k8s.io/controller-tools/cmd/controller-gen@$CONTROLLER_TOOLS_VERSION"
fi

# api/v1beta1 follows api/v1alpha1 (the same schema under the next version).
hack/v1beta1.sh

# DeepCopy, DeepCopyInto and DeepCopyObject for every type in api/.
"$cg" object:headerFile=hack/boilerplate.go.txt paths=./api/...

# CRDs into config/crd/bases (one file per kind: <group>_<plural>.yaml).
# Stale files are removed first so a renamed kind leaves nothing behind.
rm -f config/crd/bases/*.yaml
"$cg" crd paths=./api/... output:crd:artifacts:config=config/crd/bases

# The operator's RBAC into config/rbac/role.yaml, from the +kubebuilder:rbac
# markers in internal/controller.
"$cg" rbac:roleName=operator paths=./internal/controller/... output:rbac:artifacts:config=config/rbac

# The blank imports that link every vendor package (hack/vendors.sh).
hack/vendors.sh
