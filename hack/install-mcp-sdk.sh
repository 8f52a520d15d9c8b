#!/usr/bin/env bash
# install-mcp-sdk.sh installs the official TypeScript MCP SDK
# (@modelcontextprotocol/sdk), at the exact version pinned with its
# integrity hashes in hack/mcp-sdk/package-lock.json, into bin/mcp-sdk with
# npm ci. test/mcp runs its client (test/mcp/tsclient.mjs) against a gateway.
# Nothing is installed globally. Cached: a second run with the same lock
# file only checks that the client module loads.
#
# Usage: hack/install-mcp-sdk.sh [BIN]   (BIN defaults to ./bin)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/bin}"
dest="$bin/mcp-sdk"
lock="$root/hack/mcp-sdk/package-lock.json"

if ! command -v npm >/dev/null 2>&1; then
	echo "install-mcp-sdk: npm is not installed (Debian: apt-get install npm); test/mcp needs it" >&2
	exit 1
fi

want="$(sha256sum "$lock" | cut -d' ' -f1)"
check() {
	(cd "$dest" && node --input-type=module -e \
		'await import("@modelcontextprotocol/sdk/client/index.js"); await import("@modelcontextprotocol/sdk/client/streamableHttp.js")') >/dev/null 2>&1
}
if [[ -f "$dest/.lock-sha256" && "$(cat "$dest/.lock-sha256")" == "$want" ]] && check; then
	exit 0
fi

mkdir -p "$dest"
rm -f "$dest/.lock-sha256"
cp "$root/hack/mcp-sdk/package.json" "$lock" "$dest/"
(cd "$dest" && npm ci --no-audit --no-fund --loglevel=error)
if ! check; then
	echo "install-mcp-sdk: the installed SDK does not load:" >&2
	(cd "$dest" && node --input-type=module -e 'await import("@modelcontextprotocol/sdk/client/index.js")') >&2 || true
	exit 1
fi
echo "$want" >"$dest/.lock-sha256"
echo "MCP SDK installed in $dest: @modelcontextprotocol/sdk $(node -p 'require(process.argv[1]).version' "$dest/node_modules/@modelcontextprotocol/sdk/package.json")"
