#!/usr/bin/env bash
# Make sure redis-server exists for the Redis job mode (ANNLAB_REDIS_URL) and its tests.
# 1. ANNLAB_REDIS_SERVER, or redis-server on PATH / in /usr/bin;
# 2. as root with apt: install Debian's redis-server;
# 3. elsewhere: say how to install it (the Redis tests are then skipped).
set -euo pipefail
for exe in "${ANNLAB_REDIS_SERVER:-}" "$(command -v redis-server 2>/dev/null || true)" /usr/bin/redis-server; do
  if [ -n "$exe" ] && [ -x "$exe" ]; then echo "redis-server: $exe"; exit 0; fi
done
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "redis-server: installing Debian's redis-server with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  exit 0
fi
echo "redis-server: not installed and not root; install it with your package manager (e.g. sudo apt-get install redis-server)."
echo "redis-server: until then the Redis job tests are skipped; the embedded pool (the default) needs no Redis."
