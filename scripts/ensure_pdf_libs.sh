#!/usr/bin/env bash
# Installs the Debian libraries WeasyPrint needs for the barometer's edition PDFs (Pango,
# HarfBuzz subsetting, DejaVu fonts) when they are missing. Without them the PDF download
# answers with a French error page; under CI (CI=true) a missing library is a failure.
set -u
missing=()
for lib in libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0; do
  ldconfig -p 2>/dev/null | grep -q "$lib" || missing+=("$lib")
done
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=("fonts-dejavu-core")
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installation des bibliothèques PDF (Pango, HarfBuzz, polices DejaVu) : ${missing[*]}…"
  if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
       fonts-dejavu-core >/dev/null 2>&1 ||
     { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 &&
       DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
       fonts-dejavu-core >/dev/null 2>&1; }; then
    exit 0
  fi
  echo "Les bibliothèques PDF n'ont pas pu être installées." >&2
else
  echo "Bibliothèques PDF absentes et installation impossible (ni root ni apt-get) : ${missing[*]}" >&2
fi
[ "${CI:-}" = "true" ] && exit 1
exit 0
