"""Lesson 06's tasks: the pushed image path copied into the repository's k8s/ (🔥),
and the Ingress the learner writes. Both read the learner's clone in
labs/work/lesson-06/hello and the registry, never the notebook's variables."""

from __future__ import annotations

import subprocess
from pathlib import Path

import requests

from .. import config, kube, manifests, registry
from ..checks import CheckResult
from ..errors import LabError
from . import task

#: The learner's clone of the lesson's repository (tests point it elsewhere).
REPO = config.REPO_ROOT / "labs" / "work" / "lesson-06" / "hello"
NAME = "hello"


def pushed_tags(name: str = NAME) -> list[str]:
    """The tags of ``localhost:5001/NAME`` in the registry. Twin: ``curl localhost:5001/v2/NAME/tags/list``"""
    try:
        return registry.tags(name)
    except requests.RequestException as err:
        raise LabError(f"the registry at {config.REGISTRY_HOST} does not answer", state=str(err)[:200],
                       hint="`labctl doctor` names what is down") from None


def repo_commits(repo: Path) -> list[str]:
    """Every commit of ``repo``'s history, full hashes (empty when it is not a git repository)."""
    proc = subprocess.run(["git", "-C", str(repo), "rev-list", "--all"], capture_output=True, text=True)
    return proc.stdout.split() if proc.returncode == 0 else []


def _this_repo_pushes(repo: Path) -> list[str]:
    commits = repo_commits(repo)
    return [f"{config.REGISTRY_HOST}/{NAME}:{t}" for t in pushed_tags()
            if len(t) >= 7 and any(c.startswith(t) for c in commits)]


@task("06", "image-path")
def image_path() -> CheckResult:
    title = "k8s/deployment.yaml names the image you pushed"
    path = REPO / "k8s" / "deployment.yaml"
    if not path.is_file():
        return CheckResult(title, False, f"no file {path.relative_to(REPO.parent)}")
    try:
        docs = kube.load_docs(path)
    except Exception as err:  # noqa: BLE001 - a YAML error is what the learner sees
        return CheckResult(title, False, f"{path.name} is not valid YAML: {str(err).splitlines()[0][:160]}")
    found = [c.get("image") for d in docs for c in manifests.containers(d)]
    pushed = _this_repo_pushes(REPO)
    shown = ", ".join(pushed) or "none yet"
    if not found:
        return CheckResult(title, False, f"{path.name} has no container image; pushed from this repository: {shown}")
    wrong = [i for i in found if i not in pushed]
    if wrong:
        return CheckResult(title, False, f"{path.name} names {', '.join(map(str, wrong))}; "
                                         f"pushed from this repository's commits: {shown}")
    return CheckResult(title, True, f"{path.name} names {', '.join(found)}, pushed from this repository")


@task("06", "ingress-file")
def ingress_file() -> CheckResult:
    title = "k8s/ingress.yaml sends a *.localhost host to Service hello"
    path = REPO / "k8s" / "ingress.yaml"
    if not path.is_file():
        return CheckResult(title, False, f"no file {path.relative_to(REPO.parent)} yet")
    try:
        docs = manifests.load_dir(REPO / "k8s")
    except Exception as err:  # noqa: BLE001 - a YAML error is what the learner sees
        return CheckResult(title, False, f"k8s/ does not load: {str(getattr(err, 'what', err)).splitlines()[0][:160]}")
    ingresses = [d for d in docs if d.get("kind") == "Ingress"]
    if not ingresses:
        kinds = [d.get("kind") for d in kube.load_docs(path)]
        return CheckResult(title, False, f"{path.name} holds {kinds or 'nothing'}, no Ingress")
    hosts = [r.get("host") for d in ingresses for r in (d.get("spec") or {}).get("rules") or []]
    if not any(hosts):
        return CheckResult(title, False, "the Ingress has no host in spec.rules")
    if not any(h and h.endswith(".localhost") for h in hosts):
        return CheckResult(title, False, f"the Ingress's hosts {hosts} do not end in .localhost: "
                                         "this machine does not answer for them")
    problems = [p for p in manifests.check_rules(docs) if p.startswith("Ingress/")]
    if problems:
        return CheckResult(title, False, "; ".join(problems))
    # No class is fine: traefik is the cluster's default IngressClass.
    others = sorted({c for d in ingresses if (c := (d.get("spec") or {}).get("ingressClassName")) not in (None, "traefik")})
    if others:
        return CheckResult(title, False, f"ingressClassName is {', '.join(others)}; the cluster's only "
                                         "Ingress controller serves the class traefik")
    return CheckResult(title, True, f"host {hosts[0]} → service hello:80")
