#!/usr/bin/env bash
# install-agents.sh installs the coding agents test/agents runs against the
# gateway — Claude Code and Codex CLI, at the exact versions pinned (with
# their integrity hashes) in hack/agents/package-lock.json — into
# bin/agents, with npm ci. Nothing is installed globally. Cached: a second
# run with the same lock file only checks that both agents start.
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
lock="$root/hack/agents/package-lock.json"

if ! command -v npm >/dev/null 2>&1; then
	echo "install-agents: npm is not installed (Debian: apt-get install npm); the agent tests need it" >&2
	exit 1
fi

want="$(sha256sum "$lock" | cut -d' ' -f1)"
check() {
	"$dest/node_modules/.bin/claude" --version >/dev/null 2>&1 &&
		"$dest/node_modules/.bin/codex" --version >/dev/null 2>&1
}
if [[ -f "$dest/.lock-sha256" && "$(cat "$dest/.lock-sha256")" == "$want" ]] && check; then
	exit 0
fi

mkdir -p "$dest"
rm -f "$dest/.lock-sha256"
cp "$root/hack/agents/package.json" "$lock" "$dest/"
(cd "$dest" && npm ci --no-audit --no-fund --loglevel=error)
# Claude Code's postinstall puts the platform's binary in place of a
# placeholder; run it again in case npm skipped install scripts.
if ! "$dest/node_modules/.bin/claude" --version >/dev/null 2>&1; then
	(cd "$dest/node_modules/@anthropic-ai/claude-code" && node install.cjs)
fi
if ! check; then
	echo "install-agents: the installed agents do not start:" >&2
	"$dest/node_modules/.bin/claude" --version >&2 || true
	"$dest/node_modules/.bin/codex" --version >&2 || true
	exit 1
fi
echo "$want" >"$dest/.lock-sha256"
echo "agents installed in $dest: $("$dest/node_modules/.bin/claude" --version), $("$dest/node_modules/.bin/codex" --version)"
