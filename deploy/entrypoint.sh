#!/bin/sh
# single: one Streamlit process; serve N: N replicas behind HAProxy; worker [cpu|cuda]: trainings from
# Redis (ANNLAB_REDIS_URL); anything else runs as a command.
# `single` opens its own home page once before it reports ready (/tmp/annlab-ready, the readiness probe
# of deploy/kubernetes.yaml and deploy/compose.yaml): a fresh Streamlit process otherwise answers the
# first deep link with "Page not found" (streamlit/streamlit#8860).
set -e
case "$1" in
  single)
    rm -f /tmp/annlab-ready
    python -m streamlit run app.py --server.port 8501 --server.address 0.0.0.0 --server.headless true &
    pid=$!
    trap 'kill -TERM $pid' TERM INT
    python - <<'PY'
import time
from annlab.serve import healthy, open_home
while not healthy("http://127.0.0.1:8501"):
    time.sleep(0.5)
open_home("http://127.0.0.1:8501")
open("/tmp/annlab-ready", "w").close()
PY
    wait $pid ;;
  serve) exec python -m annlab serve --replicas "${2:-2}" --port 8501 --address 0.0.0.0 ;;
  worker) exec python -m annlab worker --queue "${2:-cpu}" ;;
  *) exec "$@" ;;
esac
