#!/usr/bin/env bash
# `make run`: the web server and a worker in one command (honcho, Procfile.dev); Ctrl+C stops both.
# The links in e-mails (written by the worker) use the address actually served, port included.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${1:-${PORT:-8000}}"
export FAIRPLACE_PORT="$port"
export FAIRPLACE_PUBLIC_URL="${FAIRPLACE_PUBLIC_URL:-http://127.0.0.1:$port}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.dev}"
export PYTHONUNBUFFERED=1
export PATH="$PWD/.venv/bin:$PATH"
echo "Fairplace : $FAIRPLACE_PUBLIC_URL/  (serveur web et worker ; Ctrl+C pour arrêter les deux)"
exec .venv/bin/honcho start -f Procfile.dev
