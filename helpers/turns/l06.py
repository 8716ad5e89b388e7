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
from ..i18n import _
from . import task

#: The learner's clone of the lesson's repository (tests point it elsewhere).
REPO = config.REPO_ROOT / "labs" / "work" / "lesson-06" / "hello"
NAME = "hello"


def pushed_tags(name: str = NAME) -> list[str]:
    """The tags of ``localhost:5001/NAME`` in the registry. Twin: ``curl localhost:5001/v2/NAME/tags/list``"""
    try:
        return registry.tags(name)
    except requests.RequestException as err:
        raise LabError(_("the registry at {host} does not answer").format(host=config.REGISTRY_HOST), state=str(err)[:200],
                       hint=_("`labctl doctor` names what is down")) from None


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
    title = _("k8s/deployment.yaml names the image you pushed")
    path = REPO / "k8s" / "deployment.yaml"
    if not path.is_file():
        return CheckResult(title, False, _("no file {path}").format(path=path.relative_to(REPO.parent)))
    try:
        docs = kube.load_docs(path)
    except Exception as err:  # noqa: BLE001 - a YAML error is what the learner sees
        return CheckResult(title, False, _("{file} is not valid YAML: {error}").format(
            file=path.name, error=str(err).splitlines()[0][:160]))
    found = [c.get("image") for d in docs for c in manifests.containers(d)]
    pushed = _this_repo_pushes(REPO)
    shown = ", ".join(pushed) or _("none yet")
    if not found:
        return CheckResult(title, False, _("{file} has no container image; pushed from this repository: {pushed}")
                           .format(file=path.name, pushed=shown))
    wrong = [i for i in found if i not in pushed]
    if wrong:
        return CheckResult(title, False, _("{file} names {images}; pushed from this repository's commits: {pushed}")
                           .format(file=path.name, images=", ".join(map(str, wrong)), pushed=shown))
    return CheckResult(title, True, _("{file} names {images}, pushed from this repository")
                       .format(file=path.name, images=", ".join(found)))


@task("06", "ingress-file")
def ingress_file() -> CheckResult:
    title = _("k8s/ingress.yaml sends a *.localhost host to Service hello")
    path = REPO / "k8s" / "ingress.yaml"
    if not path.is_file():
        return CheckResult(title, False, _("no file {path} yet").format(path=path.relative_to(REPO.parent)))
    try:
        docs = manifests.load_dir(REPO / "k8s")
    except Exception as err:  # noqa: BLE001 - a YAML error is what the learner sees
        return CheckResult(title, False, _("k8s/ does not load: {error}").format(
            error=str(getattr(err, "what", err)).splitlines()[0][:160]))
    ingresses = [d for d in docs if d.get("kind") == "Ingress"]
    if not ingresses:
        kinds = [d.get("kind") for d in kube.load_docs(path)]
        return CheckResult(title, False, _("{file} holds {kinds}, no Ingress").format(file=path.name, kinds=kinds or _("nothing")))
    hosts = [r.get("host") for d in ingresses for r in (d.get("spec") or {}).get("rules") or []]
    if not any(hosts):
        return CheckResult(title, False, _("the Ingress has no host in spec.rules"))
    if not any(h and h.endswith(".localhost") for h in hosts):
        return CheckResult(title, False, _("the Ingress's hosts {hosts} do not end in .localhost: "
                                           "this machine does not answer for them").format(hosts=hosts))
    problems = [p for p in manifests.check_rules(docs) if p.startswith("Ingress/")]
    if problems:
        return CheckResult(title, False, "; ".join(problems))
    # No class is fine: traefik is the cluster's default IngressClass.
    others = sorted({c for d in ingresses if (c := (d.get("spec") or {}).get("ingressClassName")) not in (None, "traefik")})
    if others:
        return CheckResult(title, False, _("ingressClassName is {classes}; the cluster's only "
                                           "Ingress controller serves the class traefik").format(classes=", ".join(others)))
    return CheckResult(title, True, f"host {hosts[0]} → service hello:80")
