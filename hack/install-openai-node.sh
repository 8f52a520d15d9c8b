#!/usr/bin/env bash
# install-openai-node.sh installs the official OpenAI Node SDK (openai), at
# the exact version pinned with its integrity hash in
# hack/openai-node/package-lock.json, into bin/openai-node with npm ci
# (hack/npm-pinned.sh). test/sdk runs test/sdk/openai_node.mjs with it
# against a gateway. Nothing is installed globally. Cached: a second run
# with the same lock file only checks that the module loads.
#
# Usage: hack/install-openai-node.sh [BIN]   (BIN defaults to ./bin)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/bin}"
dest="$bin/openai-node"

check() { (cd "$dest" && node --input-type=module -e 'await import("openai")'); }
# shellcheck source=hack/npm-pinned.sh
. "$root/hack/npm-pinned.sh"
npm_pinned openai-node "$dest" check
