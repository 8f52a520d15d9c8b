#!/usr/bin/env bash
# install-chromium.sh installs Debian's chromium when no chromium is on PATH.
# The console's browser test (test/console) drives it headless through the
# DevTools protocol; it downloads no browser build of its own. Idempotent.
set -euo pipefail
exec "$(dirname "$0")/apt-install.sh" chromium chromium fonts-dejavu-core
