#!/usr/bin/env bash
# apt-install.sh COMMAND PACKAGE... installs Debian packages when COMMAND is
# not on PATH. Shared by install-redis.sh and install-chromium.sh; idempotent.
set -euo pipefail

cmd="$1"; shift
if command -v "$cmd" >/dev/null 2>&1; then
	echo "$cmd already installed: $(command -v "$cmd")"
	exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "$@"
echo "$cmd installed: $(command -v "$cmd")"
