#!/usr/bin/env bash
# install-openai-node.sh installs the official OpenAI Node SDK (openai), at
# the exact version pinned with its integrity hash in
# hack/openai-node/package-lock.json, into bin/openai-node with npm ci.
# test/sdk runs test/sdk/openai_node.mjs with it against a gateway. Nothing
# is installed globally. Cached: a second run with the same lock file only
# checks that the module loads.
#
# Usage: hack/install-openai-node.sh [BIN]   (BIN defaults to ./bin)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/bin}"
dest="$bin/openai-node"
lock="$root/hack/openai-node/package-lock.json"

if ! command -v npm >/dev/null 2>&1; then
	echo "install-openai-node: npm is not installed (Debian: apt-get install npm); test/sdk needs it" >&2
	exit 1
fi

want="$(sha256sum "$lock" | cut -d' ' -f1)"
check() { (cd "$dest" && node --input-type=module -e 'await import("openai")') >/dev/null 2>&1; }
if [[ -f "$dest/.lock-sha256" && "$(cat "$dest/.lock-sha256")" == "$want" ]] && check; then
	exit 0
fi

mkdir -p "$dest"
rm -f "$dest/.lock-sha256"
cp "$root/hack/openai-node/package.json" "$lock" "$dest/"
(cd "$dest" && npm ci --no-audit --no-fund --loglevel=error)
if ! check; then
	echo "install-openai-node: the openai module does not load from $dest" >&2
	exit 1
fi
echo "$want" >"$dest/.lock-sha256"
