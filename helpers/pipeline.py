"""The Krampoline flow on a laptop: repo → build (D2Hub) → push → manifests with
the pushed image path (🔥) → validate (Kargo) → deploy (DKOS) → Ingress → URL.

A failure leaves nothing half-done: a failed rollout is undone so the previous
version keeps serving, and a failed first deploy removes what it created.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from . import config, images, kube, manifests
from .errors import BuildFailed, DeployFailed, LabError, ManifestInvalid
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
        raise BuildFailed(f"{repo} is not a folder", hint="pass the repository's path: --repo apps/hello")
    if not (repo / "Dockerfile").is_file():
        raise BuildFailed(f"no Dockerfile at the root of {repo}",
                          state=f"found: {', '.join(sorted(p.name for p in repo.iterdir())[:12])}",
                          hint="D2Hub builds from the Dockerfile at the repository root: add one there")
    if not (repo / "k8s").is_dir():
        raise ManifestInvalid(f"no k8s/ folder at the root of {repo}",
                              hint="Kargo deploys the YAML files under the repository's k8s/ folder: add it")
    if not _NAME.match(name):
        raise BuildFailed(f"{name!r} is not a valid app name",
                          hint="use lowercase letters, digits and '-' (it becomes an image and object name)")


def run(repo: str | Path, *, name: str | None = None, namespace: str = "default", tag: str | None = None,
        offline: bool | None = None, context: str | None = None, echo: bool = True,
        expect_in_body: str | None = None, timeout: float = 180) -> PipelineResult:
    """Run the whole pipeline on ``repo``; returns the result, or raises with the failing step.

    Twin, by hand: ``docker build -t localhost:5001/NAME:TAG . && docker push localhost:5001/NAME:TAG``,
    edit the image in ``k8s/*.yaml``, ``kubectl apply --dry-run=server -f k8s/``,
    ``kubectl apply -f k8s/``, ``kubectl rollout status deployment/NAME``, ``curl http://NAME.localhost/``.
    """
    repo = Path(repo).resolve()
    name = name or repo.name
    steps = Steps(echo=echo)
    mode = config.detect_mode(offline)
    with steps.step("1 repo: Dockerfile and k8s/ at the root"):
        _check_repo(repo, name)
    tag = tag or source_tag(repo)
    if tag == "latest":
        raise BuildFailed("the tag `latest` is refused", hint="tags name one build: use the git commit (the default)")
    image = f"{config.REGISTRY_HOST}/{name}:{tag}"
    with steps.step(f"2 build {image}") as s:
        built = images.build(repo, image, mode=mode, echo=echo, labels={"kubelab.dev/app": name})
        s.detail = f"{built.steps} steps, {built.cached_steps} cached, {images.human(images.size(image))}"
    with steps.step("3 push to the local registry") as s:
        digest = images.push(image, echo=echo)
        s.detail = digest[:19]
    with steps.step("4 render k8s/ with the pushed image path 🔥"):
        docs = manifests.render(manifests.load_dir(repo / "k8s"), image, namespace=namespace)
    with steps.step("5 validate (schema + lab rules)"):
        manifests.validate(docs, expected_image=image, namespace=namespace, context=context)
    deployments = [d["metadata"]["name"] for d in docs if d["kind"] == "Deployment"]
    first = not any(kube.get("deployment", d, namespace, context=context) for d in deployments)
    with steps.step("6 apply and wait for the rollout") as s:
        _deploy(docs, deployments, namespace, first, context, timeout)
        s.detail = "first deploy" if first else "rolling update"
    with steps.step("7 Ingress answers") as s:
        url, body = _wait_url(docs, expect_in_body or tag_marker(repo), timeout=60)
        s.detail = url
    result = PipelineResult(name, image, digest, url, body, first, steps.results)
    if echo:
        print(f"✓ pipeline done in {result.seconds:.1f}s")
    return result


def tag_marker(repo: Path) -> str | None:
    """What the new version's response must contain: the repo's VERSION file, if it has one."""
    version = repo / "VERSION"
    return f"version={version.read_text().strip()}" if version.is_file() else None


def _deploy(docs: list[dict], deployments: list[str], namespace: str, first: bool, context: str | None,
            timeout: float) -> None:
    kube.ensure_namespace(namespace, context=context)
    try:
        kube.apply(docs, namespace, context=context)
        for dep in deployments:
            kube.rollout_status(dep, namespace, timeout=timeout, context=context)
    except LabError as err:
        if first:
            kube.delete(docs, namespace, context=context, wait=True, timeout=60)
            err.hint = f"{err.hint} (the first deploy's objects were removed: nothing is left half-deployed)"
        else:
            for dep in deployments:
                kube.rollout_undo(dep, namespace, context=context)
            for dep in deployments:
                kube.rollout_status(dep, namespace, timeout=timeout, context=context)
            err.hint = f"{err.hint} (rolled back: the previous version keeps serving)"
        raise DeployFailed(err.what, state=err.state, hint=err.hint) from None


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
        raise ValueError(f"not an http URL: {url}")
    host, port, path = match.group(1), match.group(2) or str(config.INGRESS_HTTP_PORT), match.group(3) or "/"
    target = f"http://127.0.0.1:{port}{path}" if host.endswith(".localhost") or host == "localhost" else url
    return requests.get(target, headers={"Host": host}, timeout=timeout)


def _wait_url(docs: list[dict], marker: str | None, timeout: float) -> tuple[str, str]:
    hosts = ingress_hosts(docs)
    if not hosts:
        raise ManifestInvalid("no Ingress with a host in k8s/", hint="add an Ingress (see apps/hello/k8s/ingress.yaml)")
    url = f"http://{hosts[0]}/"
    return url, wait_url(url, marker, timeout)


def wait_url(url: str, marker: str | None = None, timeout: float = 60) -> str:
    """Wait until ``url`` answers 200 (with ``marker`` in the body); returns the body.

    Twin: ``until curl -sf URL | grep MARKER; do sleep 0.5; done``
    """
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            resp = get(url)
            last = f"HTTP {resp.status_code}: {resp.text[:120]}"
            if resp.status_code == 200 and (marker is None or marker in resp.text):
                return resp.text
        except requests.RequestException as err:
            last = str(err)[:200]
        time.sleep(0.5)
    raise DeployFailed(f"{url} did not answer 200{' with ' + marker if marker else ''} within {timeout:.0f}s",
                       state=last, hint="check the Ingress host and backend Service (kubectl describe ingress) "
                                        "and that `labctl up` installed the Ingress controller")
