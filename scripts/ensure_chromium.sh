#!/usr/bin/env bash
# Make sure a headless Chromium exists for the browser tests.
# 1. a system Chromium (Debian's `chromium`) if present;
# 2. as root with apt: install Debian's chromium;
# 3. elsewhere: Playwright's own browser download (needs internet).
set -euo pipefail
PY=${1:-.venv/bin/python}
for exe in "${ANNLAB_CHROMIUM:-}" /usr/bin/chromium "$(command -v chromium 2>/dev/null || true)"; do
  if [ -n "$exe" ] && [ -x "$exe" ]; then echo "chromium: $exe"; exit 0; fi
done
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "chromium: installing Debian's chromium with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "chromium: no system Chromium; downloading Playwright's"
"$PY" -m playwright install chromium
