"""Lesson 07's task: the Service the learner writes into the CI repository's k8s/."""

from __future__ import annotations

from .. import config, kube, manifests
from ..checks import CheckResult
from ..i18n import _
from . import task

#: The learner's clone of the lesson's repository (tests point it elsewhere).
REPO = config.REPO_ROOT / "labs" / "work" / "lesson-07" / "hello"


@task("07", "service-file")
def service_file() -> CheckResult:
    title = _("k8s/service.yaml gives the pods the Service the Ingress names")
    path = REPO / "k8s" / "service.yaml"
    if not path.is_file():
        return CheckResult(title, False, _("no file {path} yet").format(path=path.relative_to(REPO.parent)))
    try:
        mine = kube.load_docs(path)
        docs = manifests.load_dir(REPO / "k8s")
    except Exception as err:  # noqa: BLE001 - a YAML error is what the learner sees
        return CheckResult(title, False, _("k8s/ does not load: {error}").format(
            error=str(getattr(err, "what", err)).splitlines()[0][:160]))
    services = [d for d in mine if d.get("kind") == "Service"]
    if not services:
        return CheckResult(title, False, _("{file} holds {kinds}, no Service").format(
            file=path.name, kinds=[d.get("kind") for d in mine] or _("nothing")))
    names = [(d.get("metadata") or {}).get("name") for d in services]
    if "hello" not in names:
        return CheckResult(title, False, _("the Service is named {names}; the Ingress's backend is Service 'hello'")
                           .format(names=names))
    problems = [p for p in manifests.check_rules(docs) if p.startswith(("Service/", "Ingress/"))]
    if problems:
        return CheckResult(title, False, "; ".join(problems))
    svc = next(d for d in services if d["metadata"]["name"] == "hello")
    ports = [(p.get("port"), p.get("targetPort")) for p in svc["spec"].get("ports") or []]
    return CheckResult(title, True, _("Service hello selects {selector} with ports {ports}")
                       .format(selector=svc["spec"].get("selector"), ports=ports))
