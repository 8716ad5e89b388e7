#!/usr/bin/env bash
# Extract the messages a learner reads (babel.cfg) and merge them into the Korean
# catalog: new messages arrive with an empty msgstr, changed ones are marked fuzzy.
# tests/unit/test_i18n.py fails until each has its Korean. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
POT=$(mktemp --suffix=.pot)
trap 'rm -f "$POT"' EXIT
"$PY" -m babel.messages.frontend extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 \
  --no-location --sort-output --omit-header -o "$POT" . >/dev/null 2>&1
PO=helpers/locale/ko/LC_MESSAGES/kubelab.po
if [[ -f $PO ]]; then
  "$PY" -m babel.messages.frontend update -i "$POT" -o "$PO" -l ko -D kubelab --ignore-obsolete --ignore-pot-creation-date --no-wrap >/dev/null 2>&1
else
  mkdir -p "$(dirname "$PO")"
  "$PY" -m babel.messages.frontend init -i "$POT" -o "$PO" -l ko -D kubelab --no-wrap >/dev/null 2>&1
fi
echo "$PO: $(grep -c '^msgid ' "$PO") messages"
