#!/usr/bin/env bash
# kubelab's two commands:
#   ./lab.sh start   set up (Python env, Docker check, kind/kubectl, cluster) and open JupyterLab
#                    (--lang ko: the Korean edition; 한국어판은 ./lab.sh start --lang ko)
#   ./lab.sh test    set up the same way, then run every test (unit, integration, nbval)
# Offline (no container registry reachable, or KUBELAB_OFFLINE=1) the cluster's
# images come from the offline kit, which this script builds first (cached).
set -euo pipefail
cd "$(dirname "$0")"
repo=$(pwd)
venv=${KUBELAB_VENV:-$repo/.venv}
cache=${KUBELAB_CACHE:-/var/cache/kubelab}
tools_bin=${KUBELAB_TOOLS_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/kubelab/bin}

say() { printf '%s\n' "$*"; }
die() { printf 'ERROR: %s\nHint: %s\n' "$1" "$2" >&2; exit 1; }

ensure_docker() {
  if docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
    # An engine answers; on Linux as root it may still be too old for kind's nodes.
    if [ "$(uname -s)" = Linux ] && [ "$(id -u)" = 0 ]; then tools/install-docker.sh; fi
    return
  fi
  if [ "$(uname -s)" = Linux ] && [ "$(id -u)" = 0 ]; then
    tools/install-docker.sh
  elif [ "$(uname -s)" = Linux ]; then
    die "the Docker engine does not answer" "start it (sudo systemctl start docker) or run: sudo tools/install-docker.sh"
  else
    die "the Docker engine does not answer" "start Docker Desktop, then run ./lab.sh again"
  fi
}

ensure_python() {
  local stamp="$venv/.kubelab-installed" want
  want=$(cat pyproject.toml | sha256sum | cut -c1-16)
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then ensure_kernel; return; fi
  command -v python3 >/dev/null || die "python3 is not installed" "install Python 3.10 or newer"
  say "… installing the Python environment into $venv (a few minutes the first time)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q -e ".[test]"
  ensure_kernel
  echo "$want" > "$stamp"
  say "✓ Python environment ready"
}

ensure_kernel() {
  # The notebooks name this kernel; another display name would mark every lesson
  # modified on opening (and autosave would write that into the repository).
  grep -q '"Python 3 (kubelab)"' "$venv/share/jupyter/kernels/python3/kernel.json" 2>/dev/null && return
  "$venv/bin/python" -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (kubelab)" >/dev/null
}

ensure_browser() {
  # The browser tests drive JupyterLab in Debian's Chromium (tests/browser), Korean
  # lessons too: without a CJK font Chromium draws Hangul as empty boxes.
  local missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  fc-list :lang=ko 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
  [ ${#missing[@]} = 0 ] && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "… installing ${missing[*]} for the browser tests (apt-get install)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null \
      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; } \
      || die "could not install ${missing[*]}" "install them yourself (apt-get install ${missing[*]}), or skip: ./lab.sh test --ignore=tests/browser"
    say "✓ $(chromium --version 2>/dev/null | head -1), CJK font: $(fc-list :lang=ko family | head -1)"
  else
    die "${missing[*]} not installed (the browser tests need them)" \
        "sudo apt-get install ${missing[*]}, or skip them: ./lab.sh test --ignore=tests/browser"
  fi
}

offline_wanted() {
  # The cluster's recorded mode first, so a network blip cannot flip it; then
  # KUBELAB_OFFLINE; then a probe of Docker Hub (labctl mode).
  [ "$("$venv/bin/labctl" mode)" = offline ]
}

ensure_cluster() {
  local up_args=()
  if offline_wanted; then
    export KUBELAB_OFFLINE=1
    say "… offline mode: building or reusing the offline kit"
    bash offline-kit/build.sh
    up_args+=(--offline)
  else
    export KUBELAB_OFFLINE=0
  fi
  # kind and kubectl of the pinned versions, in a folder of the user's own
  # (no admin rights needed), first on PATH here and in JupyterLab's terminal.
  export KUBELAB_TOOLS_BIN=$tools_bin
  export PATH="$venv/bin:$tools_bin:$PATH:$cache/kit/bin/current"
  labctl tools
  bash tools/vm/setup.sh || say "(tools/vm/setup.sh failed: lesson 01 shows cited VM figures, not measured ones)"
  labctl doctor || say "(doctor reported FAIL lines; \`labctl up\` fixes the cluster ones)"
  # CI's cluster is disposable: remake it when it differs. A learner's is
  # never deleted without their own `labctl up --recreate`.
  if [ "${CI:-}" = true ]; then up_args+=(--recreate); fi
  labctl up ${up_args[@]+"${up_args[@]}"}  # (an empty array trips set -u in macOS's bash 3.2)
}

case "${1:-}" in
  start)
    shift
    # --lang ko (or KUBELAB_LANG=ko, or a Korean locale): the Korean lessons open, and
    # labctl and the notebooks' helpers speak Korean (the kernels inherit KUBELAB_LANG).
    jupyter_args=()
    while [ $# -gt 0 ]; do
      case "$1" in
        --lang) [ $# -ge 2 ] || die "--lang needs a value" "./lab.sh start --lang ko (or en)"
                export KUBELAB_LANG=$2; shift 2 ;;
        --lang=*) export KUBELAB_LANG=${1#--lang=}; shift ;;
        *) jupyter_args+=("$1"); shift ;;
      esac
    done
    case "$(printf %s "${KUBELAB_LANG:-}" | tr '[:upper:]' '[:lower:]')" in
      ''|ko*|en*) ;;
      *) die "no edition in language '$KUBELAB_LANG'" "use --lang ko or --lang en" ;;
    esac
    set -- ${jupyter_args[@]+"${jupyter_args[@]}"}
    ensure_docker; ensure_python; ensure_cluster
    export KUBELAB_VENV=$venv
    exec bash tools/start-jupyter.sh "$@" ;;
  test)
    shift
    ensure_docker; ensure_python; ensure_browser; ensure_cluster
    if [ $# -gt 0 ]; then exec "$venv/bin/pytest" "$@"; fi
    # The whole suite in two phases (tests/phases.py says which test goes where): first the
    # tests marked `alone`, one at a time; then the rest on KUBELAB_TEST_WORKERS
    # pytest-xdist workers, which mostly wait on the cluster. Both phases always run.
    status=0
    say "tests, phase 1 of 2: the tests that run alone"
    "$venv/bin/pytest" -m alone || status=$?
    say "tests, phase 2 of 2: the rest, on ${KUBELAB_TEST_WORKERS:-3} workers"
    "$venv/bin/pytest" -m "not alone" -n "${KUBELAB_TEST_WORKERS:-3}" --dist loadgroup --no-loadscope-reorder || status=$?
    exit "$status" ;;
  *)
    say "usage: ./lab.sh start [--lang ko|en] [jupyter lab options] | ./lab.sh test [pytest args]"; exit 2 ;;
esac
