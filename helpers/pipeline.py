"""The Krampoline flow on a laptop: repo → build (D2Hub) → push → manifests with
the pushed image path (🔥) → validate (Kargo) → deploy (DKOS) → Ingress → URL.

A failure leaves nothing half-done: whatever fails (a rollout, the URL, the API
server, Ctrl-C), the objects the run changed are put back (a Deployment by
``kubectl rollout undo``), so the previous version keeps serving, and the ones it
created are removed.
"""

from __future__ import annotations

import hashlib
import re
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import requests

from . import config, images, kube, manifests, waiting
from .errors import BuildFailed, DeployFailed, LabError, ManifestInvalid
from .i18n import _
from .progress import StepResult, Steps

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass
class PipelineResult:
    """What the pipeline did: each step with its time, the image, and the URL that answered."""

    name: str
    image: str
    digest: str
    url: str
    body: str
    first_deploy: bool
    steps: list[StepResult] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.steps)

    def table(self) -> str:
        return "\n".join(s.line() for s in self.steps)


def source_tag(repo: str | Path) -> str:
    """The image tag for a repository's current source: its git commit, never ``latest``.

    Uncommitted changes add a hash of the files, so a changed tree never reuses a tag;
    outside git the tag is the files' hash.
    """
    repo = Path(repo)
    digest = _tree_hash(repo)
    try:
        sha = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short=10", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--", "."], capture_output=True,
                               text=True, check=True).stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return f"src-{digest}"
    return f"{sha}-dirty-{digest[:6]}" if dirty else sha


def _tree_hash(repo: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts
                       and "__pycache__" not in p.parts):
        h.update(str(path.relative_to(repo)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:10]


def _check_repo(repo: Path, name: str) -> None:
    if not repo.is_dir():
        raise BuildFailed(_("{repo} is not a folder").format(repo=repo),
                          hint=_("pass the repository's path: --repo apps/hello"))
    if not (repo / "Dockerfile").is_file():
        raise BuildFailed(_("no Dockerfile at the root of {repo}").format(repo=repo),
                          state=_("found: {files}").format(
                              files=", ".join(sorted(p.name for p in repo.iterdir())[:12])),
                          hint=_("D2Hub builds from the Dockerfile at the repository root: add one there"))
    if not (repo / "k8s").is_dir():
        raise ManifestInvalid(_("no k8s/ folder at the root of {repo}").format(repo=repo),
                              hint=_("Kargo deploys the YAML files under the repository's k8s/ folder: add it"))
    if not _NAME.match(name):
        raise BuildFailed(_("{name} is not a valid app name").format(name=repr(name)),
                          hint=_("use lowercase letters, digits and '-' (it becomes an image and object name)"))


def run(repo: str | Path, *, name: str | None = None, namespace: str = "default", tag: str | None = None,
        offline: bool | None = None, context: str | None = None, echo: bool = True,
        expect_in_body: str | None = None, timeout: float = 300, url_timeout: float = 60) -> PipelineResult:
    """Run the whole pipeline on ``repo``; returns the result, or raises with the failing step.

    Nothing is applied before every input is judged (the repository, its k8s/ files,
    the image path, the API server's dry run, Pod Security, the Ingress host). From
    then on any failure, an exception of any kind or Ctrl-C included, puts the
    cluster back as the run found it (:class:`Undo`): the original error is raised,
    with what the cleanup did added to its state.

    ``timeout`` bounds the rollout (5 minutes: a JVM app like apps/spring-hello takes
    minutes to become Ready on a busy 2-core machine); a rollout that cannot succeed
    (a crash loop, an image that is not there) fails within seconds anyway.

    Twin, by hand: ``docker build -t localhost:5001/NAME:TAG . && docker push localhost:5001/NAME:TAG``,
    edit the image in ``k8s/*.yaml``, ``kubectl apply --dry-run=server -f k8s/``,
    ``kubectl apply -f k8s/``, ``kubectl rollout status deployment/NAME``, ``curl http://NAME.localhost/``;
    on failure ``kubectl rollout undo deployment/NAME`` and ``kubectl replace`` of what was there before.
    """
    repo = Path(repo).resolve()
    name = name or repo.name
    steps = Steps(echo=echo)
    mode = config.detect_mode(offline)
    with steps.step(_("1 repo: Dockerfile and k8s/ at the root")):
        _check_repo(repo, name)
        files = manifests.load_dir(repo / "k8s")
        problems = manifests.pipeline_problems(files, namespace)
        if problems:
            what = _("the pipeline cannot deploy {repo}/k8s/ ({count} problem(s))").format(
                repo=repo.name, count=len(problems))
            raise ManifestInvalid(what, problems, hint=_("fix each problem listed: nothing was built or deployed"))
    tag = tag or source_tag(repo)
    if tag == "latest":
        raise BuildFailed(_("the tag `latest` is refused"),
                          hint=_("tags name one build: use the git commit (the default)"))
    image = f"{config.REGISTRY_HOST}/{name}:{tag}"
    with steps.step(_("2 build {image}").format(image=image)) as s:
        built = images.build(repo, image, mode=mode, echo=echo, labels={"kubelab.dev/app": name})
        s.detail = _("{steps} steps, {cached} cached, {size}").format(
            steps=built.steps, cached=built.cached_steps, size=images.human(images.size(image)))
    with steps.step(_("3 push to the local registry")) as s:
        digest = images.push(image, echo=echo)
        s.detail = digest[:19]
    with steps.step(_("4 render k8s/ with the pushed image path 🔥")):
        docs = manifests.render(files, image, namespace=namespace)
    undo = Undo(namespace, context=context)
    try:
        with steps.step(_("5 validate (schema + lab rules)")):
            # The namespace first, so that a new one gets the API server's dry run too.
            undo.namespace_created = kube.ensure_namespace(namespace, context=context)
            manifests.validate(docs, expected_image=image, namespace=namespace, context=context)
        deployments = [d["metadata"]["name"] for d in docs if d["kind"] == "Deployment"]
        with steps.step(_("6 apply and wait for the rollout")) as s:
            undo.save(docs)
            first = not any(undo.before("Deployment", d) for d in deployments)
            changed = _deploy(docs, deployments, namespace, context, timeout, undo)
            s.detail = (_("first deploy") if first else _("rolling update") if changed
                        else _("unchanged: already live"))
        with steps.step(_("7 Ingress answers")) as s:
            url, body = _wait_url(docs, expect_in_body or tag_marker(repo), timeout=url_timeout)
            s.detail = url
    except BaseException as err:
        undo.after(err, echo=echo)
        raise
    result = PipelineResult(name, image, digest, url, body, first, steps.results)
    if echo:
        print(_("✓ pipeline done in {seconds:.1f}s").format(seconds=result.seconds))
    return result


def tag_marker(repo: Path) -> str | None:
    """What the new version's response must contain: the repo's VERSION file, if it has one."""
    version = repo / "VERSION"
    return f"version={version.read_text().strip()}" if version.is_file() else None


def _deploy(docs: list[dict], deployments: list[str], namespace: str, context: str | None,
            timeout: float, undo: "Undo") -> bool:
    """Apply, then watch each Deployment's rollout; True when the apply changed a Deployment."""
    try:
        before = {d: ((undo.before("Deployment", d) or {}).get("metadata") or {}).get("generation") for d in deployments}
        kube.apply(docs, namespace, context=context)
        changed = False
        for dep in deployments:
            changed |= kube.get("deployment", dep, namespace, context=context)["metadata"]["generation"] != before[dep]
            # kubectl's verdict: the URL step then waits for the new version's own answer.
            kube.rollout_status(dep, namespace, timeout=timeout, context=context, settled=False)
        return changed
    except LabError as err:
        raise DeployFailed(err.what, state=err.state, hint=err.hint) from err


@dataclass
class Undo:
    """What one pipeline run changed, and how to put it back: the live version of every
    object in k8s/ is saved before the apply; after a failure the ones that existed are
    put back (a Deployment by ``kubectl rollout undo`` to the revision that was live),
    the ones this run created are deleted, and so is the namespace if this run made it.

    Example: ``undo = Undo("web"); undo.save(docs); ...; undo.restore()``
    """

    namespace: str
    context: str | None = None
    namespace_created: bool = False
    saved: list[tuple[dict, dict | None]] = field(default_factory=list)
    #: Set by :meth:`restore` when an object that existed before was rolled back or put back.
    reverted: bool = False

    def save(self, docs: list[dict]) -> None:
        """Keep the live version of each object ``docs`` describe (None: it does not exist yet)."""
        self.saved = [(doc, kube.live(doc, self.namespace, context=self.context)) for doc in docs]

    def before(self, kind: str, name: str) -> dict | None:
        """The saved live version of ``kind/name`` (None: it did not exist)."""
        return next((before for doc, before in self.saved
                     if doc["kind"] == kind and doc["metadata"]["name"] == name), None)

    def restore(self, rollout_timeout: float = 120) -> list[str]:
        """Put the cluster back as :meth:`save` found it; returns what was done, one line each.

        Every step is tried even when one fails; the failures are raised together at the end.
        """
        done: list[str] = []
        failed: list[str] = []
        ctx = {"context": self.context}
        if self.namespace_created:
            self._try(failed, f"namespace/{self.namespace}",
                      lambda: kube.delete_namespace(self.namespace, wait=True, timeout=120, **ctx))
            if not failed:
                done.append(_("{object} deleted (this run created it)").format(
                    object=f"namespace/{self.namespace}"))
            return self._result(done, failed)
        rolled_back = []
        for doc, before in self.saved:
            what = f"{doc['kind'].lower()}/{doc['metadata']['name']}"
            if before is None:
                continue
            if doc["kind"] == "Deployment":
                self._try(failed, what, lambda b=before: self._undo_deployment(b, rolled_back, done))
            else:
                self._try(failed, what, lambda b=before, w=what: self._put_back(b, w, done))
        for doc, before in reversed(self.saved):
            if before is None:
                what = f"{doc['kind'].lower()}/{doc['metadata']['name']}"
                self._try(failed, what, lambda d=doc, w=what: done.append(
                    _("{object} deleted (this run created it)").format(object=w))
                    if kube.delete([d], self.namespace, wait=True, timeout=60, **ctx) else None)
        for name in rolled_back:
            self._try(failed, f"deployment/{name}",
                      lambda n=name: kube.rollout_status(n, self.namespace, timeout=rollout_timeout,
                                                         settled=False, **ctx))
        return self._result(done, failed)

    def _put_back(self, before: dict, what: str, done: list[str]) -> None:
        if kube.put_back(before, context=self.context):
            done.append(_("{object} put back as it was").format(object=what))
            self.reverted = True

    def _undo_deployment(self, before: dict, rolled_back: list[str], done: list[str]) -> None:
        name = before["metadata"]["name"]
        now = kube.get("deployment", name, self.namespace, context=self.context)
        if now is None:
            return
        revision = (before["metadata"].get("annotations") or {}).get(kube.REVISION)
        # Only when this run changed it: a rerun of the live commit must not roll the
        # good version one revision back.
        if now["spec"]["template"] != before["spec"]["template"] and revision:
            try:
                kube.rollout_undo(name, self.namespace, to_revision=int(revision), context=self.context)
                done.append(_("{object} rolled back to revision {revision} (kubectl rollout undo)").format(
                    object=f"deployment/{name}", revision=revision))
                rolled_back.append(name)
                self.reverted = True
            except DeployFailed:
                pass  # that revision's ReplicaSet is gone (revisionHistoryLimit): put_back sets the template
        if kube.put_back(before, context=self.context) and name not in rolled_back:
            done.append(_("{object} put back as it was").format(object=f"deployment/{name}"))
            rolled_back.append(name)
            self.reverted = True

    @staticmethod
    def _try(failed: list[str], what: str, action: Callable[[], Any]) -> None:
        try:
            action()
        except Exception as err:  # noqa: BLE001 - every step is tried; all failures are reported
            failed.append(f"{what}: {getattr(err, 'what', None) or type(err).__name__ + ': ' + str(err)[:300]}")

    def _result(self, done: list[str], failed: list[str]) -> list[str]:
        if failed:
            raise DeployFailed(_("the cleanup could not put everything back"), state="\n".join(
                [_("done: {step}").format(step=d) for d in done]
                + [_("failed: {step}").format(step=f) for f in failed]),
                hint=_("see what is left: `kubectl get all,ingress,configmap -n {namespace}`").format(
                    namespace=self.namespace))
        return done

    def after(self, err: BaseException, *, echo: bool = True) -> None:
        """Restore after ``err`` and add what was done to it; ``err`` stays the error reported
        (a failure of the cleanup is added to it, not raised in its place).

        Ctrl-C is held off meanwhile: a second one would leave things half put back.
        """
        done: list[str] | None = []
        with _sigint_held():
            try:
                done = self.restore()
                note = _("cleanup: {done}").format(
                    done="; ".join(done) if done else _("nothing to put back (the cluster was not changed)"))
            except LabError as cleanup:
                note = _("the cleanup failed too: {what}\n{state}\nHint: {hint}").format(
                    what=cleanup.what, state=cleanup.state, hint=cleanup.hint)
                done = None
        if isinstance(err, LabError) and done == []:
            return  # nothing was changed: the error says it all
        if not isinstance(err, LabError):
            err.add_note(note)
            if echo:
                print(f"{type(err).__name__}: {note}", file=sys.stderr, flush=True)
            return
        err.add_cleanup_note(note)
        if done and self.reverted:
            err.hint = _("{hint} (rolled back: the previous version keeps serving)").format(hint=err.hint)
        elif done:
            err.hint = _("{hint} (the first deploy's objects were removed: nothing is left half-deployed)").format(
                hint=err.hint)


@contextmanager
def _sigint_held():
    """Ignore Ctrl-C (SIGINT) while the cluster is put back; a no-op outside the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def ingress_hosts(docs: list[dict]) -> list[str]:
    return [r["host"] for d in docs if d["kind"] == "Ingress" for r in d.get("spec", {}).get("rules", [])
            if r.get("host")]


def get(url: str, timeout: float = 5) -> requests.Response:
    """GET an Ingress URL like ``http://hello.localhost/`` from Python.

    Browsers and curl ≥ 7.85 resolve ``*.localhost`` to loopback themselves; Python
    does not, so this connects to 127.0.0.1 and sends the host in the Host header.
    Twin: ``curl http://hello.localhost/``
    """
    match = re.match(r"^http://([^/:]+)(?::(\d+))?(/.*)?$", url)
    if not match:
        raise ValueError(_("not an http URL: {url}").format(url=url))
    host, port, path = match.group(1), match.group(2) or str(config.INGRESS_HTTP_PORT), match.group(3) or "/"
    target = f"http://127.0.0.1:{port}{path}" if host.endswith(".localhost") or host == "localhost" else url
    return requests.get(target, headers={"Host": host}, timeout=timeout)


def _wait_url(docs: list[dict], marker: str | None, timeout: float) -> tuple[str, str]:
    hosts = ingress_hosts(docs)
    if not hosts:
        raise ManifestInvalid(_("no Ingress with a host in k8s/"),
                              hint=_("add an Ingress (see apps/hello/k8s/ingress.yaml)"))
    url = f"http://{hosts[0]}/"
    return url, wait_url(url, marker, timeout, steady=STEADY_ANSWERS)


#: How many answers in a row must come from the new version before the pipeline says
#: it is live. The Ingress controller sends requests round the pods in turn, and keeps
#: an old pod in its turn for a moment after the rollout (while its preStop sleep
#: lets it finish): more answers in a row than pods in turn means the old one is out.
STEADY_ANSWERS = 8


def wait_url(url: str, marker: str | None = None, timeout: float = 60, *, steady: int = 1) -> str:
    """Wait until ``url`` answers 200 (with ``marker`` in the body) ``steady`` times in a
    row; returns the last body.

    Twin: ``until curl -sf URL | grep MARKER; do sleep 0.25; done``
    """
    last = _("no answer yet")

    def answered() -> str | None:
        nonlocal last
        body = None
        for _attempt in range(steady):
            try:
                resp = get(url)
                last = f"HTTP {resp.status_code}: {resp.text[:120]}"
                if resp.status_code != 200 or (marker is not None and marker not in resp.text):
                    return None
                body = resp.text
            except requests.RequestException as err:
                last = str(err)[:200]
                return None
        return body

    what = (_("{url} answering 200 with {marker}").format(url=url, marker=marker) if marker
            else _("{url} answering 200").format(url=url))
    return waiting.poll(answered, timeout=timeout, what=what, seen=lambda: last, error=DeployFailed,
                        hint=_("check the Ingress host and backend Service (kubectl describe ingress) "
                               "and that `labctl up` installed the Ingress controller"))
