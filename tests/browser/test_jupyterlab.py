"""The notebooks in a real JupyterLab, driven by headless Chromium: a lesson opens,
and the live views (progress bar, pod table, check report) render as widgets.

Needs Debian's chromium (`./lab.sh test` installs it) and the lab cluster.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import config
from helpers.errors import LabError
from helpers.pipeline import wait_url

from ..conftest import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TOKEN = "kubelab-browser-test"
# Chromium on a closed network: no background calls home (they are refused, many at a time).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="Debian's chromium is not installed (./lab.sh test installs it)")

SCRATCH_CELLS = [
    "from helpers.progress import Progress\np = Progress('demo build', total=4)\np.update(3, 'step 3/4')",
    "from helpers.widgets import watch_pods\nrows = watch_pods('kube-system', seconds=2)",
    "from helpers import checks\nchecks.Report([checks.CheckResult('browser check', True, 'rendered')])",
]


@pytest.fixture(scope="module")
def lab_log(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("jupyter") / "lab.log"


@pytest.fixture(scope="module")
def lab_server(lab_log):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={config.REPO_ROOT}",
         "--LabApp.expose_app_in_browser=True"],
        stdout=lab_log.open("w"), stderr=subprocess.STDOUT, cwd=config.REPO_ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_url(f"{base}/api/status?token={TOKEN}", timeout=60)
    except LabError:
        proc.terminate()
        pytest.fail(f"JupyterLab did not start: {lab_log.read_text()[-1500:]}")
    yield base
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - a test dependency only

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(url)
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    return page, errors


# What the page shows when a wait runs out: each cell's output (a traceback among them)
# and the kernel's state, so a failure in CI says why, not only "timeout".
PAGE_STATE = r"""() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  const cells = [...document.querySelectorAll('.jp-CodeCell')].map((c, i) => {
    const prompt = c.querySelector('.jp-InputPrompt');
    const out = c.querySelector('.jp-OutputArea');
    return `cell ${i + 1} ${prompt ? prompt.innerText.trim() : ''}: ${out ? out.innerText.trim().slice(-1500) : ''}`;
  });
  return `kernel: ${k ? k.status : 'none'}\n` + cells.join('\n');
}"""


def _wait(page, script: str, what: str, log: Path, timeout: float = 120_000) -> None:
    """Poll ``script`` in the page until it is true; on timeout fail with what the page showed."""
    from playwright.sync_api import TimeoutError as PageTimeout  # noqa: PLC0415

    try:
        page.wait_for_function(script, timeout=timeout, polling=250)
        return
    except PageTimeout:
        pass
    try:
        state = page.evaluate(PAGE_STATE)
    except Exception as err:  # noqa: BLE001 - the page itself may be gone
        state = f"(the page could not be read: {err})"
    server = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    pytest.fail(f"{what} did not appear within {timeout / 1000:.0f}s.\nThe notebook showed:\n{state}\n"
                f"JupyterLab's log (tail):\n{server}", pytrace=False)


def test_widgets_render_live_in_jupyterlab(lab_server, lab_log, browser, tmp_path):
    """Run cells in the browser: the progress bar, the live pod table and a check report appear."""
    work = config.REPO_ROOT / "labs" / "work"
    work.mkdir(parents=True, exist_ok=True)
    scratch = work / "browser-check.ipynb"
    scratch.write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": src}
                  for src in SCRATCH_CELLS],
        "metadata": {"kernelspec": {"display_name": "Python 3 (kubelab)", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5}))
    try:
        page, errors = _open(browser, f"{lab_server}/lab/tree/labs/work/browser-check.ipynb?token={TOKEN}")
        _wait(page, "() => window.jupyterapp && document.querySelector('.jp-Notebook')", "the notebook", lab_log)
        # wait for the kernel, then run every cell as a learner would (Run ▸ Run All Cells)
        _wait(page, "() => { const w = window.jupyterapp.shell.currentWidget;"
                    " const k = w && w.sessionContext && w.sessionContext.session"
                    " && w.sessionContext.session.kernel; return k && k.status === 'idle'; }",
              "an idle kernel", lab_log)
        # not awaited: the command's promise settles only when every cell has run
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        _wait(page, "() => document.querySelector('.widget-hprogress')", "the progress bar (cell 1)", lab_log)
        _wait(page, "() => [...document.querySelectorAll('.widget-html table')]"
                    ".some(t => t.textContent.includes('coredns'))", "the live pod table (cell 2)", lab_log)
        _wait(page, "() => document.body.textContent.includes('browser check')", "the check report (cell 3)", lab_log)
        bar = page.locator(".widget-hprogress").first
        assert bar.is_visible()
        table = page.locator(".widget-html table").first.inner_text()
        assert "Running" in table and "coredns" in table
        page.screenshot(path=str(tmp_path / "widgets.png"))
        assert not errors, errors
    finally:
        scratch.unlink(missing_ok=True)


def test_a_lesson_opens_with_its_saved_outputs(lab_server, browser):
    """A committed lesson opens in JupyterLab and shows the outputs of its real run."""
    page, errors = _open(browser, f"{lab_server}/lab/tree/notebooks/04-replicaset-deployment-service.ipynb"
                                  f"?token={TOKEN}")
    page.wait_for_function("() => document.querySelectorAll('.jp-OutputArea-output').length > 5", timeout=60_000)
    text = page.locator(".jp-Notebook").inner_text()
    assert "ReplicaSet" in text and "rolled out" in text
    assert not errors, errors
