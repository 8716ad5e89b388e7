"""The CI/CD loop (Jenkins's stand-in): every new commit in a repository runs the
pipeline, so a push to main ends as a new version behind the URL.

Two triggers: a :class:`Watcher` thread a notebook starts and stops, or a git
``post-commit`` hook (:func:`install_hook`) that runs ``labctl pipeline``.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import pipeline, waiting
from .errors import LabError


@dataclass
class Deploy:
    """One commit through the loop: when it was seen, when it was live, what happened."""

    commit: str
    seen_at: float
    seconds: float = 0.0
    ok: bool = False
    url: str = ""
    body: str = ""
    error: str = ""


def head(repo: Path) -> str:
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "--short=10", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()


@dataclass
class Watcher:
    """Polls a repository's HEAD; each new commit runs :func:`helpers.pipeline.run`.

    Example: ``w = Watcher(repo, namespace="lesson-07").start()``, commit, ``w.wait_for(sha)``, ``w.stop()``.
    """

    repo: Path
    namespace: str = "default"
    interval: float = 0.5
    deploys: list[Deploy] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> "Watcher":
        self._last = head(self.repo)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="kubelab-cicd")
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            current = head(self.repo)
            if current != self._last:
                self._last = current
                self._deploy(current)
            self._stop.wait(self.interval)

    def _deploy(self, commit: str) -> None:
        d = Deploy(commit, time.monotonic())
        try:
            result = pipeline.run(self.repo, namespace=self.namespace, echo=False)
            d.ok, d.url, d.body = True, result.url, result.body
        except LabError as err:
            d.error = err.what
        d.seconds = time.monotonic() - d.seen_at
        self.deploys.append(d)

    def wait_for(self, commit: str, timeout: float = 300) -> Deploy:
        """Block until ``commit`` went through the loop; returns its record."""
        return waiting.poll(lambda: next((d for d in self.deploys if d.commit == commit), None), timeout=timeout,
                            what=f"commit {commit} through the CI/CD loop",
                            seen=lambda: f"deployed so far: {[d.commit for d in self.deploys] or 'nothing'}",
                            hint="is the loop running (Watcher.start)? `git log` shows the commits it sees")

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=300)


def install_hook(repo: Path, namespace: str = "default") -> Path:
    """Write ``.git/hooks/post-commit`` so each commit runs the pipeline in the background.

    Twin: the file itself; its log is ``.git/kubelab-pipeline.log``.
    """
    hook = Path(repo) / ".git" / "hooks" / "post-commit"
    cmd = [sys.executable, "-m", "helpers.cli", "pipeline", "--repo", str(Path(repo).resolve()),
           "--namespace", namespace]
    hook.write_text("#!/bin/sh\n# kubelab: every commit builds, pushes and deploys (CI/CD)\n"
                    f"nohup {' '.join(shlex.quote(c) for c in cmd)} > .git/kubelab-pipeline.log 2>&1 &\n")
    hook.chmod(0o755)
    return hook
