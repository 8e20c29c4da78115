#!/usr/bin/env bash
# Make sure axe-core (the accessibility rules the browser tests inject into the pages) is installed:
# `npm ci` from package-lock.json into node_modules/ (git-ignored). No network is needed at test time.
set -euo pipefail
cd "$(dirname "$0")/.."
want=$(sed -n 's/.*"axe-core": "\(.*\)".*/\1/p' package.json)
have=$(sed -n 's/.*"version": "\(.*\)".*/\1/p' node_modules/axe-core/package.json 2>/dev/null | head -n 1 || true)
if [ -f node_modules/axe-core/axe.min.js ] && [ "$have" = "$want" ]; then
  echo "axe-core: $have"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "axe-core: installing Debian's npm with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  else
    echo "axe-core: npm is missing; install Node.js and npm, then run make test again" >&2
    exit 1
  fi
fi
npm ci --no-audit --no-fund --silent
echo "axe-core: $(node -p "require('./node_modules/axe-core/package.json').version")"
