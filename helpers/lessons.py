"""Building blocks the notebooks share: the sample app's image at a version, a
learner's git repository, a client pod, request spreading, recovery timing."""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from . import config, images, kube, manifests

HELLO = config.REPO_ROOT / "apps" / "hello"
LESSON_MANIFESTS = config.K8S_DIR / "lessons"
GIT_ENV = {"GIT_AUTHOR_NAME": "learner", "GIT_AUTHOR_EMAIL": "learner@kubelab.local",
           "GIT_COMMITTER_NAME": "learner", "GIT_COMMITTER_EMAIL": "learner@kubelab.local"}


def hello_image(version: str = "v1", *, echo: bool = False) -> str:
    """The sample app built at ``version`` and pushed as ``localhost:5001/hello:<version>-<source hash>``.

    The tag carries a hash of the source: nodes keep images by tag, so a tag
    reused for different code would keep serving the old build.

    Twin: ``docker build -t localhost:5001/hello:v1-3f2a9c apps/hello && docker push ...``
    """
    from .pipeline import _tree_hash  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "hello"
        shutil.copytree(HELLO, src, ignore=shutil.ignore_patterns("__pycache__", "k8s"))
        (src / "VERSION").write_text(version + "\n")
        tag = f"{config.REGISTRY_HOST}/hello:{version}-{_tree_hash(src)[:6]}"
        images.build(src, tag, echo=echo)
    images.push(tag, echo=echo)
    return tag


def learner_repo(where: str | Path | None = None) -> Path:
    """A git repository holding a copy of the sample app, as a learner's GitHub repo would."""
    base = Path(where) if where else Path(tempfile.mkdtemp(prefix="kubelab-repo-"))
    repo = base / "hello"
    if repo.exists():
        shutil.rmtree(repo)
    shutil.copytree(HELLO, repo, ignore=shutil.ignore_patterns("__pycache__"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "hello v1")
    return repo


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo``. Twin: ``git -C REPO ...``"""
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout


def lesson_docs(name: str, image: str | None = None, namespace: str | None = None) -> list[dict]:
    """A lesson's manifest file from ``k8s/lessons/``, with the image path filled in."""
    docs = manifests.load_dir(LESSON_MANIFESTS / name)
    return manifests.render(docs, image, namespace) if image else docs


def client_pod(namespace: str, image: str, name: str = "client") -> str:
    """A pod that only waits, from an image with Python, to send requests from inside the cluster."""
    kube.apply([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                 "spec": {"terminationGracePeriodSeconds": 1,
                          "containers": [{"name": name, "image": image,
                                          "command": ["/bin/python", "-c", "import time; time.sleep(86400)"]}]}}],
               namespace)
    kube.wait(f"pod/{name}", "condition=Ready", namespace=namespace, timeout=90)
    return name


def spread(namespace: str, url: str, count: int = 60, client: str = "client") -> collections.Counter:
    """Send ``count`` requests to ``url`` from the client pod; how many each pod answered.

    Twin: ``kubectl exec client -- python -c '...urlopen(url)...'`` in a loop.
    """
    script = ("import json, urllib.request\n"
              f"print(json.dumps([json.load(urllib.request.urlopen({url!r}, timeout=5))['pod'] "
              f"for _ in range({count})]))")
    out = kube.exec_(client, ["/bin/python", "-c", script], namespace)
    return collections.Counter(json.loads(out.strip().splitlines()[-1]))


def time_pod_recovery(namespace: str, selector: str, replicas: int, timeout: float = 90) -> tuple[str, float]:
    """Delete one pod and time until ``replicas`` pods are Ready again without it.

    Twin: ``kubectl delete pod NAME; kubectl get pods -w``
    """
    victim = sorted(r["name"] for r in kube.pod_table(namespace, selector))[0]
    started = time.monotonic()
    kube.core().delete_namespaced_pod(victim, namespace, grace_period_seconds=0)
    deadline = started + timeout
    while time.monotonic() < deadline:
        ready = [r for r in kube.pod_table(namespace, selector) if r["ready"] == "1/1" and r["status"] == "Running"]
        if len(ready) == replicas and victim not in {r["name"] for r in ready}:
            return victim, time.monotonic() - started
        time.sleep(0.2)
    raise TimeoutError(f"{replicas} pods were not Ready again within {timeout:.0f}s")


def fresh_namespace(name: str, lab: str | None = None) -> str:
    """Delete the namespace if a previous run left it, then create it empty.

    Twin: ``kubectl delete namespace NAME --ignore-not-found --wait && kubectl create namespace NAME``
    """
    kube.delete_namespace(name, wait=True, timeout=120)
    kube.ensure_namespace(name, lab=lab)
    return name


def ask(namespace: str, url: str, client: str = "client") -> dict:
    """One request from the client pod to the sample app's ``/api``; its JSON answer.

    Twin: ``kubectl exec client -- python -c 'print(urlopen(URL).read())'``
    """
    script = f"import urllib.request; print(urllib.request.urlopen({url!r}, timeout=5).read().decode())"
    return json.loads(kube.exec_(client, ["/bin/python", "-c", script], namespace).strip().splitlines()[-1])
