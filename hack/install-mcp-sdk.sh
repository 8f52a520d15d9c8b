#!/usr/bin/env bash
# install-mcp-sdk.sh installs the official TypeScript MCP SDK
# (@modelcontextprotocol/sdk), at the exact version pinned with its
# integrity hashes in hack/mcp-sdk/package-lock.json, into bin/mcp-sdk with
# npm ci (hack/npm-pinned.sh). test/mcp runs its client
# (test/mcp/tsclient.mjs) against a gateway. Nothing is installed globally.
# Cached: a second run with the same lock file only checks that the client
# module loads.
#
# Usage: hack/install-mcp-sdk.sh [BIN]   (BIN defaults to ./bin)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/bin}"
dest="$bin/mcp-sdk"

check() {
	(cd "$dest" && node --input-type=module -e \
		'await import("@modelcontextprotocol/sdk/client/index.js"); await import("@modelcontextprotocol/sdk/client/streamableHttp.js")')
}
# shellcheck source=hack/npm-pinned.sh
. "$root/hack/npm-pinned.sh"
npm_pinned mcp-sdk "$dest" check
echo "MCP SDK installed in $dest: @modelcontextprotocol/sdk $(node -p 'require(process.argv[1]).version' "$dest/node_modules/@modelcontextprotocol/sdk/package.json")"
