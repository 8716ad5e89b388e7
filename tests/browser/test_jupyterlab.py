"""JupyterLab as a learner gets it, driven by headless Chromium.

The server is started by ``./lab.sh start --no-browser ...`` itself (its set-up, then
tools/start-jupyter.sh), with empty JupyterLab settings and workspace folders, so the
first page load is a real first start: lesson 00 with a terminal beside it, no pop-up,
a lab from labs/ opens, and ``kubectl get nodes`` typed into the terminal answers.
Then the live views (progress bar, pod table, check report) render as widgets and a
lesson opens with its saved outputs.

Needs Debian's chromium (`./lab.sh test` installs it) and the lab cluster. On a failure
the message carries JupyterLab's log tail and a screenshot path (under pytest's tmp dir).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from helpers import config

from ..conftest import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TOKEN = "kubelab-browser-test"
# Chromium on a closed network: no background calls home (they are refused, many at a time).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# ./lab.sh start sets up first (Docker, venv, kit stamps, doctor, `labctl up` on the running cluster).
START_TIMEOUT = 420
LESSON_00 = "notebooks/00-setup-and-doctor.ipynb"
A_LAB = "labs/pods.ipynb"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="Debian's chromium is not installed (./lab.sh test installs it)")

SCRATCH_CELLS = [
    "from helpers.progress import Progress\np = Progress('demo build', total=4)\np.update(3, 'step 3/4')",
    "from helpers.widgets import watch_pods\nrows = watch_pods('kube-system', seconds=2)",
    "from helpers import checks\nchecks.Report([checks.CheckResult('browser check', True, 'rendered')])",
]


@dataclass
class Lab:
    """The JupyterLab that ``./lab.sh start`` runs for this module."""

    url: str
    log: Path  # everything ./lab.sh start printed, JupyterLab's log included
    shots: Path  # screenshots taken on failures
    workspaces: Path  # JUPYTERLAB_WORKSPACES_DIR (empty before the start)

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else "(no log)"


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/api/status", params={"token": TOKEN}, timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    """``./lab.sh start --no-browser --port=N --IdentityProvider.token=T`` in the background, as a
    learner would run it (without the browser), in its own process group."""
    base = tmp_path_factory.mktemp("jupyter")
    lab = Lab(url="", log=base / "lab.log", shots=base / "screenshots", workspaces=base / "workspaces")
    lab.shots.mkdir()
    port = free_port()
    lab.url = f"http://127.0.0.1:{port}"
    # A first start for real: JupyterLab's user settings and workspaces in empty folders.
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(base / "user-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(lab.workspaces))
    proc = subprocess.Popen(
        [str(config.REPO_ROOT / "lab.sh"), "start", "--no-browser", f"--port={port}",
         f"--IdentityProvider.token={TOKEN}", "--LabApp.expose_app_in_browser=True"],
        stdout=lab.log.open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        cwd=config.REPO_ROOT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(lab.url):
            if proc.poll() is not None:
                pytest.fail(f"./lab.sh start ended (exit {proc.returncode}) before JupyterLab answered.\n"
                            f"Its output ({lab.log}), tail:\n{lab.log_tail()}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within {START_TIMEOUT}s of ./lab.sh start.\n"
                            f"Its output ({lab.log}), tail:\n{lab.log_tail()}", pytrace=False)
            time.sleep(1)
        yield lab
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """End ./lab.sh start's process group: JupyterLab, its kernels and terminals."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - a test dependency only

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _new_page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    return page, errors


# What the page shows when a wait runs out: the main area's tabs, each cell's output
# (a traceback among them), the kernel's state and any toast or dialog on screen.
PAGE_STATE = r"""() => {
  const app = window.jupyterapp;
  if (!app) return 'JupyterLab has not loaded (no window.jupyterapp)';
  const tabs = [...app.shell.widgets('main')].map(w => `${w.title.label}${w.isVisible ? '' : ' (hidden)'}`);
  const w = app.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  const cells = [...document.querySelectorAll('.jp-mod-current .jp-CodeCell, .jp-mod-current.jp-Notebook .jp-CodeCell')]
    .map((c, i) => {
      const prompt = c.querySelector('.jp-InputPrompt');
      const out = c.querySelector('.jp-OutputArea');
      return `cell ${i + 1} ${prompt ? prompt.innerText.trim() : ''}: ${out ? out.innerText.trim().slice(-1500) : ''}`;
    });
  const popups = [...document.querySelectorAll('.jp-Notification-Toast-default, .Toastify__toast, .jp-Dialog')]
    .map(e => e.innerText.trim().replace(/\s+/g, ' '));
  return `tabs: ${tabs.join(', ')}\ncurrent: ${w ? w.title.label : 'none'}, kernel: ${k ? k.status : 'none'}\n`
    + `pop-ups: ${popups.length ? popups.join(' | ') : 'none'}\n` + cells.join('\n');
}"""


def _evidence(page, lab: Lab, name: str) -> str:
    """A screenshot, what the page showed and JupyterLab's log tail, for a failure message."""
    shot = lab.shots / f"{name}.png"
    try:
        page.screenshot(path=str(shot))
        shot_line = f"Screenshot: {shot}"
    except Exception as err:  # noqa: BLE001 - the page itself may be gone
        shot_line = f"(no screenshot: {err})"
    try:
        state = page.evaluate(PAGE_STATE)
    except Exception as err:  # noqa: BLE001
        state = f"(the page could not be read: {err})"
    return f"{shot_line}\nThe page showed:\n{state}\nJupyterLab's log ({lab.log}), tail:\n{lab.log_tail()}"


@contextmanager
def _explained(page, lab: Lab, name: str):
    """Turn any failure inside into one that says what the page and the server showed."""
    try:
        yield
    except pytest.fail.Exception:
        raise
    except Exception as err:  # noqa: BLE001 - assertions and Playwright errors alike
        message = f"{type(err).__name__}: {err}\n{_evidence(page, lab, name)}"
        raise pytest.fail.Exception(message, pytrace=False) from None  # the message says it all once


def _wait(page, script: str, what: str, lab: Lab, name: str, timeout: float = 120_000, arg=None) -> None:
    """Poll ``script`` in the page until it is true; on timeout fail with what the page showed."""
    from playwright.sync_api import TimeoutError as PageTimeout  # noqa: PLC0415

    try:
        page.wait_for_function(script, arg=arg, timeout=timeout, polling=250)
    except PageTimeout:
        pytest.fail(f"{what} did not appear within {timeout / 1000:.0f}s.\n{_evidence(page, lab, name)}",
                    pytrace=False)


# JupyterLab 4.6 draws its terminal with xterm.js on a WebGL (else canvas) renderer and
# offers no DOM renderer setting (no `rendererType` any more), so the text is not in the
# page's DOM. xterm's buffer holds exactly the rows it paints; the terminal widget keeps
# its xterm as `_term`. Rows that wrap (the terminal is half the page) are joined again.
TERMINAL_TEXT = r"""() => {
  if (!window.jupyterapp) return '';
  const w = [...window.jupyterapp.shell.widgets('main')].find(w => w.content && w.content._term);
  if (!w) return '';
  const buf = w.content._term.buffer.active;
  let text = '';
  for (let i = 0; i < buf.length; i++) {
    const line = buf.getLine(i);
    text += (i && !line.isWrapped ? '\n' : '') + line.translateToString(true);
  }
  return text.replace(/\s+$/, '');
}"""
NOTEBOOK_OPEN = r"""(path) => !!window.jupyterapp && [...window.jupyterapp.shell.widgets('main')].some(
  w => w.context && w.context.path === path && w.isVisible && w.node.querySelector('.jp-Cell'))"""
TERMINAL_OPEN = r"""() => !!window.jupyterapp && [...window.jupyterapp.shell.widgets('main')].some(
  w => w.content && w.content._term && w.isVisible && w.content.session && w.content.session.connectionStatus === 'connected')"""
POPUPS = ".jp-Notification-Toast-default, .Toastify__toast, .jp-Dialog"


def test_first_start_shows_lesson_00_with_a_terminal_that_reaches_the_cluster(lab_server, browser):
    """The first start opens lesson 00 beside a terminal, shows no pop-up; a lab from
    labs/ opens from the file browser and `kubectl get nodes` in the terminal shows the
    node Ready (kind, kubectl and docker on its PATH, the kubelab context selected)."""
    lab = lab_server
    started = lab.log.read_text(errors="replace")
    if os.geteuid() == 0:
        assert "--allow-root" in started, f"no line about --allow-root as root:\n{lab.log_tail()}"
    assert f"kubectl context: {config.KIND_CONTEXT}" in started, f"the context was not selected:\n{lab.log_tail()}"
    page, errors = _new_page(browser)
    with _explained(page, lab, "first-start"):
        page.goto(f"{lab.url}/lab?token={TOKEN}")
        _wait(page, "() => window.jupyterapp", "JupyterLab", lab, "first-start")
        page.evaluate("async () => { await window.jupyterapp.restored; }")
        _wait(page, NOTEBOOK_OPEN, f"lesson 00 ({LESSON_00})", lab, "first-start", arg=LESSON_00)
        _wait(page, TERMINAL_OPEN, "a connected terminal beside it", lab, "first-start")
        _wait(page, "() => /[#$] *$/m.test((" + TERMINAL_TEXT + ")())", "the shell's prompt", lab, "first-start")
        # JupyterLab asks its news question as a toast once the layout is restored (unless
        # jupyter/overrides.json answered it); give it time to show, then look.
        page.wait_for_timeout(5000)
        popups = page.locator(POPUPS)
        assert popups.count() == 0, f"a pop-up on the first start: {popups.all_inner_texts()}"
        notebook_box = page.locator(".jp-NotebookPanel:visible").first.bounding_box()
        terminal_box = page.locator(".jp-Terminal:visible").first.bounding_box()
        assert notebook_box and terminal_box and terminal_box["x"] >= notebook_box["x"] + notebook_box["width"] - 5, \
            f"the terminal is not beside the lesson: {notebook_box} {terminal_box}"
        page.screenshot(path=str(lab.shots / "first-start.png"))

        # A lab from labs/, opened as a learner would: the file browser, labs, pods.ipynb.
        listing = page.locator(".jp-DirListing-content")
        listing.get_by_text("labs", exact=True).dblclick()
        listing.get_by_text("pods.ipynb", exact=True).dblclick()
        _wait(page, NOTEBOOK_OPEN, f"the lab {A_LAB}", lab, "lab-opens", arg=A_LAB)
        _wait(page, "(path) => [...window.jupyterapp.shell.widgets('main')].some("
                    "w => w.context && w.context.path === path && w.node.innerText.includes('Lab · Pods'))",
              "the lab's text", lab, "lab-opens", arg=A_LAB)

        page.locator(".jp-Terminal:visible").first.click()
        page.keyboard.type("kubectl get nodes\n")
        node = f"{config.CLUSTER_NAME}-control-plane"
        _wait(page, "(node) => new RegExp(node + ' +Ready').test((" + TERMINAL_TEXT + ")())",
              f"`kubectl get nodes` showing {node} Ready", lab, "terminal-kubectl", timeout=60_000, arg=node)
        page.keyboard.type("kubectl config current-context; for t in kind kubectl docker; do"
                           " command -v $t >/dev/null && echo found-$t; done\n")
        _wait(page, "() => /found-docker/.test((" + TERMINAL_TEXT + ")())", "the PATH check's output", lab,
              "terminal-path", timeout=30_000)
        text = page.evaluate(TERMINAL_TEXT)
        for tool in ("kind", "kubectl", "docker"):
            assert re.search(rf"^found-{tool}\b", text, re.M), f"{tool} is not on the terminal's PATH:\n{text}"
        assert re.search(rf"^{config.KIND_CONTEXT}\s*$", text, re.M), f"not the kubelab context:\n{text}"
        page.screenshot(path=str(lab.shots / "terminal.png"))
        assert not errors, errors
    page.close()


def test_opening_a_lesson_leaves_the_repository_unchanged(lab_server, browser):
    """A lesson opened and its kernel started is not modified (so autosave writes nothing
    into the repository): its saved kernelspec matches the installed one."""
    lab = lab_server
    page, _ = _new_page(browser)
    with _explained(page, lab, "lesson-unchanged"):
        page.goto(f"{lab.url}/lab/workspaces/unchanged/tree/{LESSON_00}?token={TOKEN}")
        _wait(page, NOTEBOOK_OPEN, "lesson 00", lab, "lesson-unchanged", arg=LESSON_00)
        _wait(page, "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                    " const k = w && w.sessionContext && w.sessionContext.session"
                    " && w.sessionContext.session.kernel; return k && k.status === 'idle'; }",
              "an idle kernel", lab, "lesson-unchanged")
        page.wait_for_timeout(2000)
        state = page.evaluate("() => { const w = window.jupyterapp.shell.currentWidget;"
                              " return {dirty: w.context.model.dirty, kernelspec: w.context.model.getMetadata('kernelspec')}; }")
        saved = json.loads((config.REPO_ROOT / LESSON_00).read_text())["metadata"]["kernelspec"]
        assert not state["dirty"], (f"JupyterLab changed {LESSON_00} on opening (autosave would write it back): "
                                    f"kernelspec now {state['kernelspec']}, saved {saved}")
    page.close()


def test_a_later_start_keeps_the_learners_layout(tmp_path):
    """The default workspace is imported on a first start only: a later one keeps what the
    learner arranged. (tools/start-jupyter.sh, up to `jupyter lab --version`.)"""
    env = dict(os.environ, JUPYTERLAB_WORKSPACES_DIR=str(tmp_path), JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "s"),
               KUBELAB_VENV=str(Path(sys.executable).parent.parent))

    def start() -> str:
        run = subprocess.run(["bash", "tools/start-jupyter.sh", "--version"], cwd=config.REPO_ROOT, env=env,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
        return run.stdout

    assert "first start" in start()
    (saved,) = tmp_path.glob("default-*.jupyterlab-workspace")
    assert LESSON_00 in saved.read_text()
    learners = {"data": {"notebook:labs/pods.ipynb": {"data": {"path": A_LAB, "factory": "Notebook"}}},
                "metadata": {"id": "default"}}
    saved.write_text(json.dumps(learners))
    assert "first start" not in start()
    assert json.loads(saved.read_text()) == learners


def test_widgets_render_live_in_jupyterlab(lab_server, browser):
    """Run cells in the browser: the progress bar, the live pod table and a check report appear."""
    lab = lab_server
    work = config.REPO_ROOT / "labs" / "work"
    work.mkdir(parents=True, exist_ok=True)
    scratch = work / "browser-check.ipynb"
    scratch.write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": src}
                  for src in SCRATCH_CELLS],
        "metadata": {"kernelspec": {"display_name": "Python 3 (kubelab)", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5}))
    page, errors = _new_page(browser)
    try:
        with _explained(page, lab, "widgets"):
            # a workspace of its own, so the default one (lesson 00 + terminal) is not in the way
            page.goto(f"{lab.url}/lab/workspaces/widgets/tree/labs/work/browser-check.ipynb?token={TOKEN}")
            _wait(page, "() => window.jupyterapp && document.querySelector('.jp-Notebook')", "the notebook", lab,
                  "widgets")
            # wait for the kernel, then run every cell as a learner would (Run ▸ Run All Cells)
            _wait(page, "() => { const w = window.jupyterapp.shell.currentWidget;"
                        " const k = w && w.sessionContext && w.sessionContext.session"
                        " && w.sessionContext.session.kernel; return k && k.status === 'idle'; }",
                  "an idle kernel", lab, "widgets")
            # not awaited: the command's promise settles only when every cell has run
            page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
            _wait(page, "() => document.querySelector('.widget-hprogress')", "the progress bar (cell 1)", lab, "widgets")
            _wait(page, "() => [...document.querySelectorAll('.widget-html table')]"
                        ".some(t => t.textContent.includes('coredns'))", "the live pod table (cell 2)", lab, "widgets")
            _wait(page, "() => document.body.textContent.includes('browser check')", "the check report (cell 3)", lab,
                  "widgets")
            bar = page.locator(".widget-hprogress").first
            assert bar.is_visible()
            table = page.locator(".widget-html table").first.inner_text()
            assert "Running" in table and "coredns" in table
            page.screenshot(path=str(lab.shots / "widgets.png"))
            assert not errors, errors
    finally:
        page.close()
        scratch.unlink(missing_ok=True)


def test_a_lesson_opens_with_its_saved_outputs(lab_server, browser):
    """A committed lesson opens in JupyterLab and shows the outputs of its real run."""
    lab = lab_server
    page, errors = _new_page(browser)
    with _explained(page, lab, "lesson-04"):
        page.goto(f"{lab.url}/lab/workspaces/lesson04/tree/notebooks/04-replicaset-deployment-service.ipynb"
                  f"?token={TOKEN}")
        _wait(page, "() => document.querySelectorAll('.jp-OutputArea-output').length > 5",
              "lesson 04's saved outputs", lab, "lesson-04", timeout=60_000)
        # markdown cells render a moment after the outputs show ("ReplicaSet" is in them)
        _wait(page, "() => document.querySelector('.jp-Notebook').innerText.includes('ReplicaSet')",
              "lesson 04's text", lab, "lesson-04", timeout=30_000)
        text = page.locator(".jp-Notebook").inner_text()
        # an output near the top: JupyterLab renders only the cells near the view
        assert "ReplicaSet" in text and "replicaset.apps/web-rs created" in text
        assert not errors, errors
    page.close()


LESSON_00_KO = "notebooks/00-setup-and-doctor.ko.ipynb"


def test_korean_start_opens_the_korean_lesson_00(tmp_path):
    """`./lab.sh start --lang ko` (KUBELAB_LANG=ko) opens lesson 00's Korean edition on a
    first start. (tools/start-jupyter.sh, up to `jupyter lab --version`.)"""
    env = dict(os.environ, JUPYTERLAB_WORKSPACES_DIR=str(tmp_path), JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "s"),
               KUBELAB_VENV=str(Path(sys.executable).parent.parent), KUBELAB_LANG="ko")
    run = subprocess.run(["bash", "tools/start-jupyter.sh", "--version"], cwd=config.REPO_ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    (saved,) = tmp_path.glob("default-*.jupyterlab-workspace")
    assert LESSON_00_KO in saved.read_text() and LESSON_00 not in saved.read_text(), saved.read_text()


def _korean_fonts() -> set[str]:
    """Families fontconfig knows with Hangul coverage (fonts-noto-cjk gives Noto Sans CJK KR …)."""
    run = subprocess.run(["fc-list", ":lang=ko", "family"], capture_output=True, text=True)
    return {name.strip() for line in run.stdout.splitlines() for name in line.split(",") if name.strip()}


def test_a_korean_lesson_renders_hangul_with_a_korean_font(lab_server, browser):
    """The Korean lesson 00 opens and Chromium draws its heading's Hangul with a font that has
    Hangul glyphs (asked of Chromium itself: CSS.getPlatformFontsForNode), not as empty boxes.
    A screenshot of the heading is kept under the test's screenshots folder."""
    lab = lab_server
    korean_fonts = _korean_fonts()
    assert korean_fonts, "no font with Hangul is installed (./lab.sh test installs fonts-noto-cjk)"
    page, errors = _new_page(browser)
    with _explained(page, lab, "lesson-00-ko"):
        page.goto(f"{lab.url}/lab/workspaces/korean/tree/{LESSON_00_KO}?token={TOKEN}")
        _wait(page, NOTEBOOK_OPEN, "lesson 00 in Korean", lab, "lesson-00-ko", arg=LESSON_00_KO)
        _wait(page, "() => [...document.querySelectorAll('.jp-RenderedMarkdown h1')]"
                    ".some(h => /[\\uac00-\\ud7a3]/.test(h.textContent))", "the Korean heading", lab, "lesson-00-ko",
              timeout=60_000)
        heading = page.locator(".jp-RenderedMarkdown h1").first
        heading.screenshot(path=str(lab.shots / "korean-heading.png"))
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": ".jp-RenderedMarkdown h1"})["nodeId"]
        used = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        hangul = len(re.findall(r"[\uac00-\ud7a3]", heading.inner_text()))
        drawn = sum(f["glyphCount"] for f in used if f["familyName"] in korean_fonts)
        assert drawn >= hangul > 0, (f"the heading's {hangul} Hangul letters were drawn with {used}: "
                                     f"none of the Korean fonts {sorted(korean_fonts)[:4]}")
        assert not errors, errors
    page.close()
