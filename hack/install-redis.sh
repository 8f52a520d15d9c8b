#!/usr/bin/env bash
# install-redis.sh installs Debian's redis-server when it is not already on
# PATH. Tests of internal/limits start their own redis-server from it (see
# internal/testredis); no Redis service needs to run. Idempotent.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
	echo "redis-server already installed: $(command -v redis-server)"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends redis-server
# The package may start a system service; tests do not use it.
if command -v systemctl >/dev/null 2>&1; then
	$SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
echo "redis-server installed: $(command -v redis-server)"
