# npm-pinned.sh is sourced by install-agents.sh, install-mcp-sdk.sh and
# install-openai-node.sh. It installs the packages pinned (with their
# integrity hashes) in hack/<name>/package-lock.json into a directory of
# bin/ with npm ci; nothing is installed globally.
#
#   npm_pinned NAME DEST CHECK [FIX]
#     NAME   hack/NAME holds package.json and package-lock.json
#     DEST   the directory to install into (bin/NAME)
#     CHECK  a command that succeeds when DEST's packages work (its output
#            is shown only when it fails after an install)
#     FIX    a command run after npm ci, before CHECK (optional)
#
# Cached: when DEST was installed from the same lock file and CHECK passes,
# it exits the script with 0. When npm is missing or CHECK fails after the
# install, it exits with 1, saying why. Otherwise it returns after a fresh
# install, with DEST/.lock-sha256 written.
npm_pinned() {
	local name="$1" dest="$2" check="$3" fix="${4:-}"
	local src="$root/hack/$name" me="${0##*/}"
	me="${me%.sh}"
	if ! command -v npm >/dev/null 2>&1; then
		echo "$me: npm is not installed (Debian: apt-get install npm)" >&2
		exit 1
	fi
	local want
	want="$(sha256sum "$src/package-lock.json" | cut -d' ' -f1)"
	if [[ -f "$dest/.lock-sha256" && "$(cat "$dest/.lock-sha256")" == "$want" ]] && "$check" >/dev/null 2>&1; then
		exit 0
	fi
	mkdir -p "$dest"
	rm -f "$dest/.lock-sha256"
	cp "$src/package.json" "$src/package-lock.json" "$dest/"
	(cd "$dest" && npm ci --no-audit --no-fund --loglevel=error)
	if [[ -n "$fix" ]]; then
		"$fix"
	fi
	if ! "$check" >/dev/null 2>&1; then
		echo "$me: what npm installed in $dest does not work:" >&2
		"$check" >&2 || true
		exit 1
	fi
	echo "$want" >"$dest/.lock-sha256"
}
