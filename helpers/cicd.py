"""The CI/CD loop (Jenkins's stand-in): a new commit on ``main`` is tested, built,
pushed and deployed, so a push ends as a new version behind the URL, and a
commit whose tests fail ends red and is not deployed.

The stages, for one commit (:func:`run_commit`): ``checkout`` (a clean copy of the
commit, as Jenkins's workspace), ``test`` (:func:`test_stage`: the repository's
own tests), then the pipeline (:func:`helpers.pipeline.run`): build and push
(D2Hub), the pushed image path written into ``k8s/`` (🔥), validate (Kargo),
deploy (DKOS), the URL answering. A failed stage stops the run: nothing after it
happens, so the live version stays.

Triggers: a bare repository's ``post-receive`` hook (:func:`install_push_hook`,
a push to ``main`` as GitHub's webhook to Jenkins), a :class:`Watcher` thread a
notebook starts and stops, or a ``post-commit`` hook (:func:`install_hook`).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import config, kube, manifests, pipeline, waiting
from .errors import LabError
from .i18n import _

#: The command the test stage runs in the checkout (standard library unittest:
#: ``tests/test_*.py``; ``-m`` puts the repository's root on the import path).
TEST_COMMAND = ("-m", "unittest", "discover", "-s", "tests", "-v")


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
                            what=_("commit {commit} through the CI/CD loop").format(commit=commit),
                            seen=lambda: _("deployed so far: {commits}").format(
                                commits=[d.commit for d in self.deploys] or _("nothing")),
                            hint=_("is the loop running (Watcher.start)? `git log` shows the commits it sees"))

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


# ---- one commit through the stages (the push-triggered loop) -------------------


@dataclass
class Stage:
    """One stage of a CI/CD run: its name, whether it passed, its time, a one-line
    detail, and (for the test stage) the command's output."""

    name: str
    ok: bool
    seconds: float
    detail: str = ""
    output: str = ""

    def line(self) -> str:
        return f"[{self.name}] {'✓' if self.ok else '✗'} {self.detail} ({self.seconds:.1f}s)"


@dataclass
class Run:
    """A commit through the loop: its stages in order; ``ok`` only when it went live."""

    commit: str
    stages: list[Stage] = field(default_factory=list)
    image: str = ""
    url: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.stages) and all(s.ok for s in self.stages) and bool(self.url)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.stages)

    def failed(self) -> Stage | None:
        return next((s for s in self.stages if not s.ok), None)


def _git_env() -> dict:
    # A hook runs with GIT_DIR (and a quarantine path) set for the receiving repository:
    # git commands on another repository must not inherit them.
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}


def _git(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env=_git_env()).stdout.strip()


def checkout(origin: str | Path, commit: str, into: str | Path) -> Path:
    """A clean copy of ``origin`` (a bare repository or a clone) at ``commit``, in ``into``
    (emptied first): Jenkins's workspace, so nothing uncommitted is ever built.

    Twin: ``git clone ORIGIN INTO && git -C INTO checkout COMMIT``
    """
    into = Path(into)
    if into.exists():
        shutil.rmtree(into)
    into.parent.mkdir(parents=True, exist_ok=True)
    _git("clone", "-q", str(Path(origin).resolve()), str(into))
    _git("-c", "advice.detachedHead=false", "checkout", "-q", commit, cwd=into)
    return into


def test_stage(workdir: str | Path, *, timeout: float = 120) -> Stage:
    """Run a repository's own tests in ``workdir``: ``python -m unittest discover -s tests``
    (files ``tests/test_*.py``, importing the app from the repository's root).

    Returns a :class:`Stage` named ``test``: ``ok`` when the tests ran and all passed;
    ``detail`` says how many ran and which failed; ``output`` is unittest's report.
    A repository without a ``tests/`` folder, or whose tests find nothing to run,
    fails the stage: a loop that deploys untested code is not CI.

    Twin: ``cd WORKDIR && python -m unittest discover -s tests -v``

    Example: ``stage = cicd.test_stage("labs/work/cicd/hello"); print(stage.line())``
    """
    workdir = Path(workdir)
    started = time.monotonic()
    if not (workdir / "tests").is_dir():
        return Stage("test", False, time.monotonic() - started,
                     _("no tests/ folder in {folder}: nothing to run").format(folder=workdir.name))
    try:
        proc = subprocess.run([sys.executable, *TEST_COMMAND], cwd=workdir, capture_output=True, text=True,
                              timeout=timeout, env={**_git_env(), "PYTHONDONTWRITEBYTECODE": "1"})
        output, code = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as err:
        output = (err.stdout or b"").decode(errors="replace") if isinstance(err.stdout, bytes) else (err.stdout or "")
        return Stage("test", False, time.monotonic() - started,
                     _("the tests did not finish in {seconds:.0f}s").format(seconds=timeout), output)
    ran = re.search(r"^Ran (\d+) tests?", output, re.M)
    count = int(ran.group(1)) if ran else 0
    failing = re.findall(r"^(?:FAIL|ERROR): (\w+)", output, re.M)
    if code == 0 and count:
        detail = _("{count} test(s) passed").format(count=count)
    elif code == 0 or (count == 0 and not failing):
        detail = (_("no tests found in tests/ (files named test_*.py)") if count == 0
                  else _("exit code {code}").format(code=code))
    else:
        detail = _("{failed} of {count} test(s) failed: {names}").format(
            failed=len(failing) or "?", count=count, names=", ".join(failing) or _("see the output"))
    return Stage("test", code == 0 and count > 0, time.monotonic() - started, detail, output)


def write_image(workdir: str | Path, name: str, image: str) -> list[str]:
    """Write ``image`` into every container of ``workdir/k8s/`` whose image is the
    placeholder ``IMAGE`` or another tag of the same repository (``localhost:5001/NAME``):
    the 🔥 step done by the loop, in its workspace only. Returns the files changed.

    Twin: ``kubectl set image --local -f k8s/deployment.yaml NAME=IMAGE -o yaml``
    """
    repository = f"{config.REGISTRY_HOST}/{name}"
    changed = []
    for path in sorted((Path(workdir) / "k8s").glob("*.y*ml")):
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        if not all(isinstance(d, dict) for d in docs):
            continue  # not Kubernetes objects: validation names the file later
        touched = False
        for doc in docs:
            for c in manifests.containers(doc):
                current = c.get("image") or ""
                if current == manifests.IMAGE_PLACEHOLDER or manifests.repository(current) == repository:
                    touched |= current != image
                    c["image"] = image
        if touched:
            path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
            changed.append(path.name)
    return changed


def run_commit(origin: str | Path, commit: str = "main", *, namespace: str, name: str | None = None,
               workspace: str | Path | None = None, branch: str = "main", echo: bool = True, say=print) -> Run:
    """One commit through the loop: checkout → test → build and push (D2Hub) → the image
    path into k8s/ → validate (Kargo) → deploy (DKOS) → the URL answers.

    A failed stage ends the run there (the later stages are listed as skipped): a
    commit whose tests fail is never built nor deployed, and a failure in the
    pipeline puts the cluster back (:func:`helpers.pipeline.run`), so the live version
    keeps serving. Each stage prints one line with ``say`` as it ends.

    ``origin`` is the repository pushed to (a bare one, as GitHub); ``name`` the app
    (default: ``origin``'s folder name without ``.git``); ``workspace`` where the
    checkout goes (default: ``jenkins-workspace/<name>`` beside ``origin``); ``branch`` only
    names the push in the first line.

    Example: ``cicd.run_commit("labs/work/lesson-07/github/hello.git", namespace="lesson-07")``
    """
    origin = Path(origin).resolve()
    name = name or origin.name.removesuffix(".git")
    sha = _git("rev-parse", "--short=10", commit, cwd=origin)
    run = Run(sha)
    workdir = Path(workspace) if workspace else origin.parent / "jenkins-workspace" / name

    def stage(result: Stage) -> Stage:
        run.stages.append(result)
        if echo:
            say(result.line())
        return result

    def skipped(*names: str) -> None:
        if echo:
            for n in names:
                say(_("[{stage}] - skipped: an earlier stage failed").format(stage=n))

    if echo:
        say(_("push to {branch}, commit {sha}: checkout → test → image path → build+deploy").format(branch=branch, sha=sha))
    started = time.monotonic()
    try:
        checkout(origin, sha, workdir)
        subject = _git("log", "-1", "--format=%s", cwd=workdir)
        stage(Stage("checkout", True, time.monotonic() - started, f"{sha} {subject!r}"))
    except subprocess.CalledProcessError as err:
        stage(Stage("checkout", False, time.monotonic() - started, (err.stderr or str(err)).strip()[:200]))
        skipped("test", "image path", "build+deploy")
        return run
    tested = stage(test_stage(workdir))
    if not tested.ok:
        if echo:
            say(_failures(tested.output))
        skipped("image path", "build+deploy")
        if echo:
            say(_("✗ red: commit {sha} is not deployed; the live version is unchanged").format(sha=sha))
        return run
    image = f"{config.REGISTRY_HOST}/{name}:{sha}"
    started = time.monotonic()
    changed = write_image(workdir, name, image)
    stage(Stage("image path", True, time.monotonic() - started,
                f"k8s/{', k8s/'.join(changed)} → {image}" if changed else _("k8s/ already names {image}").format(image=image)))
    started = time.monotonic()
    try:
        result = pipeline.run(workdir, name=name, namespace=namespace, tag=sha, echo=False)
    except LabError as err:
        stage(Stage("build+deploy", False, time.monotonic() - started, err.what))
        if echo:
            say(err.render())
            say(_("✗ red: commit {sha} is not live").format(sha=sha))
        return run
    for s in result.steps:
        if echo:
            say(f"    {s.line()}")
    run.image, run.url = result.image, result.url
    stage(Stage("build+deploy", True, result.seconds, _("{image} live at {url}").format(image=result.image, url=result.url)))
    if echo:
        say(_("✓ green: commit {sha} is live at {url} ({seconds:.1f}s)").format(sha=sha, url=result.url, seconds=run.seconds))
    return run


def _failures(output: str) -> str:
    """unittest's failure blocks only (its ``FAIL:``/``ERROR:`` sections), indented."""
    blocks = re.findall(r"^={10,}\n((?:FAIL|ERROR): .*?)(?=^={10,}|^-{10,}\nRan )", output, re.M | re.S)
    text = "\n".join(b.strip() for b in blocks) or output.strip()[-1500:]
    return "\n".join("    " + line for line in text.splitlines())


def install_push_hook(origin: str | Path, namespace: str, *, branch: str = "main") -> Path:
    """Write ``hooks/post-receive`` in a bare repository: a push to ``branch`` runs
    :func:`run_commit` on the pushed commit, and its stage lines come back to the
    pusher (git prints them as ``remote:`` lines). Other branches are left alone.

    Twin: the file itself (``cat ORIGIN/hooks/post-receive``); GitHub's webhook to Jenkins.
    """
    origin = Path(origin).resolve()
    hook = origin / "hooks" / "post-receive"
    cmd = [sys.executable, "-m", "helpers.cicd", "--origin", str(origin), "--namespace", namespace,
           "--branch", branch]
    hook.write_text(
        "#!/bin/sh\n"
        f"# kubelab CI/CD: a push to {branch} is tested, built and deployed (Jenkins → Kargo → DKOS)\n"
        "while read old new ref; do\n"
        f'  [ "$ref" = "refs/heads/{branch}" ] || continue\n'
        f'  {" ".join(shlex.quote(c) for c in cmd)} --commit "$new"\n'
        "done\n")
    hook.chmod(0o755)
    return hook


def live_image(name: str, namespace: str) -> str | None:
    """The image the Deployment ``name`` runs now (None: no such Deployment).

    Twin: ``kubectl get deployment NAME -o jsonpath='{..containers[0].image}'``
    """
    dep = kube.get("deployment", name, namespace)
    return dep["spec"]["template"]["spec"]["containers"][0]["image"] if dep else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.cicd",
                                     description="run one commit through the CI/CD loop (a push hook calls this)")
    parser.add_argument("--origin", required=True, help="the repository pushed to (bare, as GitHub)")
    parser.add_argument("--commit", default="main")
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--name", help="app name (default: the repository's folder name)")
    parser.add_argument("--branch", default="main", help="the branch pushed (shown in the first line)")
    args = parser.parse_args(argv)
    run = run_commit(args.origin, args.commit, namespace=args.namespace, name=args.name, branch=args.branch,
                     say=lambda line: print(line, flush=True))
    return 0 if run.ok else 1


if __name__ == "__main__":
    sys.exit(main())
