#!/usr/bin/env bash
# install-chromium.sh installs Debian's chromium when no chromium is on PATH.
# The console's browser test (test/console) drives it headless through the
# DevTools protocol; it downloads no browser build of its own. Idempotent.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
	echo "chromium already installed: $(command -v chromium)"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core
echo "chromium installed: $(command -v chromium) ($(chromium --version 2>/dev/null || echo 'version unknown'))"
