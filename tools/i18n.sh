#!/usr/bin/env bash
# Extract the messages a learner reads (babel.cfg) and merge them into the Korean
# catalog: new messages arrive with an empty msgstr, changed ones are marked fuzzy.
# tests/unit/test_i18n.py fails until each has its Korean. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
POT=$(mktemp --suffix=.pot)
LOG=$(mktemp)
trap 'rm -f "$POT" "$LOG"' EXIT
# Babel's output is kept quiet unless it fails: then it says why (a syntax error in a
# helper, a YAML file it cannot parse), instead of a bare exit status.
quiet() { "$@" >"$LOG" 2>&1 || { cat "$LOG" >&2; echo "tools/i18n.sh: failed: $*" >&2; exit 1; }; }
quiet "$PY" -m babel.messages.frontend extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 \
  --no-location --sort-output --omit-header -o "$POT" .
PO=helpers/locale/ko/LC_MESSAGES/kubelab.po
if [[ -f $PO ]]; then
  quiet "$PY" -m babel.messages.frontend update -i "$POT" -o "$PO" -l ko -D kubelab --ignore-obsolete --ignore-pot-creation-date --no-wrap
else
  mkdir -p "$(dirname "$PO")"
  quiet "$PY" -m babel.messages.frontend init -i "$POT" -o "$PO" -l ko -D kubelab --no-wrap
fi
echo "$PO: $(grep -c '^msgid ' "$PO") messages"
