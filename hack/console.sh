#!/usr/bin/env bash
# console.sh builds the web console: it installs the locked npm packages
# into internal/console/web/node_modules (git-ignored), type-checks, runs the
# front-end unit tests and writes the page into internal/console/dist, which
# is checked in and embedded by the Go package, so `go build` needs no Node.
set -euo pipefail

cd "$(dirname "$0")/../internal/console/web"
command -v npm >/dev/null 2>&1 || { echo "console.sh: npm is required (Node 20 or later)" >&2; exit 1; }
npm ci --no-audit --no-fund
npm run build
echo "console built into internal/console/dist:"
find ../dist -type f | sort
