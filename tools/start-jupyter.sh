#!/usr/bin/env bash
# Opens kubelab in JupyterLab: `./lab.sh start [ARGS...]` ends here after its set-up
# (Docker, Python venv, cluster); ARGS go on to `jupyter lab` (e.g. --no-browser --port=8899).
# Bash 3.2 (macOS) compatible.
#
# - server root: the repository, so notebooks/ and labs/ (with the instructor notebooks) all open;
# - first start: lesson 00 with a terminal beside it (jupyter/workspace.json, imported
#   only when the learner has no default workspace yet: a later start keeps their layout);
# - the edition: Korean (00-setup-and-doctor.ko.ipynb) when KUBELAB_LANG=ko or the locale
#   is Korean (helpers/i18n.py decides); a later start in Korean whose layout holds no
#   Korean lesson opens lesson 00 in Korean beside it;
# - no pop-up to dismiss (jupyter/overrides.json answers JupyterLab's news question);
# - the terminal is `bash --rcfile jupyter/bashrc -i`: kind, kubectl, docker and the
#   venv stay on PATH (a login shell would read /etc/profile, which resets PATH);
# - the kubectl context of the lab cluster is selected when it exists.
# Nothing is written into the repository's files: workspaces and user settings stay in
# JupyterLab's own folders (~/.jupyter/lab, or JUPYTERLAB_WORKSPACES_DIR/JUPYTERLAB_SETTINGS_DIR);
# the overrides go into the venv's JupyterLab.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
venv=${KUBELAB_VENV:-$repo/.venv}
context="kind-${KUBELAB_CLUSTER:-kubelab}"

say() { printf '%s\n' "$*"; }
die() { printf 'ERROR: %s\nHint: %s\n' "$1" "$2" >&2; exit 1; }

jupyter="$venv/bin/jupyter"
[ -x "$jupyter" ] || die "JupyterLab is not installed in $venv" "run ./lab.sh start (it installs the Python environment)"
case ":$PATH:" in *":$venv/bin:"*) ;; *) PATH="$venv/bin:$PATH" ;; esac

# Asked of the venv's JupyterLab itself (JUPYTERLAB_DIR, JUPYTERLAB_WORKSPACES_DIR honoured):
# - setting overrides live in its application settings folder, LabApp.app_settings_dir
#   (<sys.prefix>/share/jupyter/lab/settings/overrides.json); copied when they differ;
# - the default workspace (what /lab shows) is ours only when the learner has none yet.
lang=$("$venv/bin/python" -c 'from helpers.i18n import language; print(language())')
lesson00=notebooks/00-setup-and-doctor.ipynb
[ "$lang" = ko ] && lesson00=notebooks/00-setup-and-doctor.ko.ipynb
read -r first_start has_korean < <("$venv/bin/python" - jupyter/overrides.json <<'PY'
import filecmp, shutil, sys
from pathlib import Path
from jupyterlab.commands import get_app_dir, get_workspaces_dir
from jupyterlab_server.workspaces_handler import slugify
ours, settings = Path(sys.argv[1]), Path(get_app_dir()) / "settings"
try:
    if not (settings / "overrides.json").exists() or not filecmp.cmp(ours, settings / "overrides.json", shallow=False):
        settings.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ours, settings / "overrides.json")
except OSError as err:  # e.g. a venv this user may not write to: JupyterLab still opens
    print(f"(JupyterLab's settings overrides not installed: {err}; it may ask about news)", file=sys.stderr)
workspace = Path(get_workspaces_dir()) / f"{slugify('default')}.jupyterlab-workspace"
print("no" if workspace.exists() else "yes", "yes" if workspace.exists() and ".ko.ipynb" in workspace.read_text() else "no")
PY
)
url_args=()
if [ "$first_start" = yes ]; then
  workspace=$(mktemp --suffix=.json 2>/dev/null || mktemp)
  sed "s#notebooks/00-setup-and-doctor.ipynb#$lesson00#g" jupyter/workspace.json > "$workspace"
  if "$jupyter" lab workspaces import "$workspace" >/dev/null 2>&1; then
    say "… first start: JupyterLab opens lesson 00 ($lesson00) with a terminal beside it"
  else
    say "(could not import jupyter/workspace.json: JupyterLab opens with its launcher)"
  fi
  rm -f "$workspace"
elif [ "$lang" = ko ] && [ "$has_korean" = no ]; then
  url_args+=("--ServerApp.default_url=/lab/tree/$lesson00")
  say "… 한국어판: $lesson00 opens beside your layout"
fi

contexts=$(kubectl config get-contexts -o name 2>/dev/null || true)
if grep -qx "$context" <<< "$contexts"; then
  kubectl config use-context "$context" >/dev/null
  say "✓ kubectl context: $context (the lab cluster)"
else
  say "… no kubectl context $context in your kubeconfig (labctl up makes it); kubectl keeps its current context"
fi

args=()
if [ "$(id -u)" = 0 ] && [[ " $* " != *" --allow-root "* ]]; then
  say "… running as root: passing --allow-root (JupyterLab refuses root otherwise; its notebooks and terminals run as root too)"
  args+=(--allow-root)
fi

# The lab terminal: the PATH of this start (venv, kind, kubectl first) comes back in
# jupyter/bashrc after the learner's own ~/.bashrc, and the context is selected there too.
export KUBELAB_PATH=$PATH KUBELAB_CONTEXT=$context
shell="$(command -v bash) --rcfile $(printf '%q' "$repo/jupyter/bashrc") -i"
exec "$jupyter" lab --ServerApp.root_dir="$repo" "--ServerApp.terminado_settings=shell_command=$shell" ${args[@]+"${args[@]}"} ${url_args[@]+"${url_args[@]}"} "$@"
