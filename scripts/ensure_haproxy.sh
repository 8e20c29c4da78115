#!/usr/bin/env bash
# Make sure HAProxy exists for `python -m annlab serve --replicas N` and its browser test.
# 1. ANNLAB_HAPROXY, or haproxy on PATH / in /usr/sbin;
# 2. as root with apt: install Debian's haproxy;
# 3. elsewhere: say how to install it (the replica test is then skipped).
set -euo pipefail
for exe in "${ANNLAB_HAPROXY:-}" "$(command -v haproxy 2>/dev/null || true)" /usr/sbin/haproxy; do
  if [ -n "$exe" ] && [ -x "$exe" ]; then echo "haproxy: $exe"; exit 0; fi
done
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "haproxy: installing Debian's haproxy with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
  exit 0
fi
echo "haproxy: not installed and not root; install it with your package manager (e.g. sudo apt-get install haproxy)."
echo "haproxy: until then 'serve --replicas' cannot start and tests/test_replicas.py is skipped."
