#!/usr/bin/env bash
# install-redis.sh installs Debian's redis-server when it is not already on
# PATH. Tests of internal/limits start their own redis-server from it (see
# internal/testredis); no Redis service needs to run. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
if command -v redis-server >/dev/null 2>&1; then
	echo "redis-server already installed: $(command -v redis-server)"
	exit 0
fi
./apt-install.sh redis-server redis-server
# The package may start a system service; tests do not use it.
if command -v systemctl >/dev/null 2>&1; then
	systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
