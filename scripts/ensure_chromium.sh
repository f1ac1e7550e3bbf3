#!/usr/bin/env bash
# Installs Debian's Chromium for the browser journeys when it is missing. Without a browser
# the journeys skip with a clear reason, except under CI (CI=true), where they fail.
set -u
browser="${FAIRPLACE_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
  # French browser strings (date pickers, file inputs) in the screenshots; optional.
  if [ ! -e /usr/lib/chromium/locales/fr.pak ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-l10n >/dev/null 2>&1 || true
  fi
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installation de Chromium (paquet Debian) pour les parcours navigateur…"
  if DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 &&
     DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; then
    # French browser strings (date pickers, file inputs) for the screenshots; optional.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-l10n >/dev/null 2>&1 || true
    exit 0
  fi
  echo "Chromium n'a pas pu être installé." >&2
else
  echo "Chromium absent et installation impossible (ni root ni apt-get)." >&2
fi
if [ "${CI:-}" = "true" ]; then
  echo "Sous CI, le navigateur est obligatoire." >&2
  exit 1
fi
echo "Les parcours navigateur seront ignorés." >&2
exit 0
