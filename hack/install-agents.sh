#!/usr/bin/env bash
# install-agents.sh installs the coding agents test/agents runs against the
# gateway — Claude Code and Codex CLI, at the exact versions pinned (with
# their integrity hashes) in hack/agents/package-lock.json — into
# bin/agents, with npm ci (hack/npm-pinned.sh). Nothing is installed
# globally. Cached: a second run with the same lock file only checks that
# both agents start.
#
# Both packages ship native binaries (chosen per platform through optional
# dependencies), so the machine's Node.js only runs npm and Codex's small
# launcher: Node 20 is enough, although Claude Code's package declares
# engines.node >= 22 for its JavaScript entry point, which is not used.
#
# Usage: hack/install-agents.sh [BIN]   (BIN defaults to ./bin)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/bin}"
dest="$bin/agents"

check() {
	"$dest/node_modules/.bin/claude" --version && "$dest/node_modules/.bin/codex" --version
}
# Claude Code's postinstall puts the platform's binary in place of a
# placeholder; run it again in case npm skipped install scripts.
fix() {
	if ! "$dest/node_modules/.bin/claude" --version >/dev/null 2>&1; then
		(cd "$dest/node_modules/@anthropic-ai/claude-code" && node install.cjs)
	fi
}
# shellcheck source=hack/npm-pinned.sh
. "$root/hack/npm-pinned.sh"
npm_pinned agents "$dest" check fix
echo "agents installed in $dest: $("$dest/node_modules/.bin/claude" --version), $("$dest/node_modules/.bin/codex" --version)"
