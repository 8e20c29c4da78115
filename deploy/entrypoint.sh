#!/bin/sh
# single: one Streamlit process; serve N: N replicas behind HAProxy; anything else runs as a command.
set -e
case "$1" in
  single) exec python -m streamlit run app.py --server.port 8501 --server.address 0.0.0.0 --server.headless true ;;
  serve) exec python -m annlab serve --replicas "${2:-2}" --port 8501 --address 0.0.0.0 ;;
  *) exec "$@" ;;
esac
