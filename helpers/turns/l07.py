"""Lesson 07's task: the Service the learner writes into the CI repository's k8s/."""

from __future__ import annotations

from .. import config, kube, manifests
from ..checks import CheckResult
from . import task

#: The learner's clone of the lesson's repository (tests point it elsewhere).
REPO = config.REPO_ROOT / "labs" / "work" / "lesson-07" / "hello"


@task("07", "service-file")
def service_file() -> CheckResult:
    title = "k8s/service.yaml gives the pods the Service the Ingress names"
    path = REPO / "k8s" / "service.yaml"
    if not path.is_file():
        return CheckResult(title, False, f"no file {path.relative_to(REPO.parent)} yet")
    try:
        mine = kube.load_docs(path)
        docs = manifests.load_dir(REPO / "k8s")
    except Exception as err:  # noqa: BLE001 - a YAML error is what the learner sees
        return CheckResult(title, False, f"k8s/ does not load: {str(getattr(err, 'what', err)).splitlines()[0][:160]}")
    services = [d for d in mine if d.get("kind") == "Service"]
    if not services:
        return CheckResult(title, False, f"{path.name} holds {[d.get('kind') for d in mine] or 'nothing'}, no Service")
    names = [(d.get("metadata") or {}).get("name") for d in services]
    if "hello" not in names:
        return CheckResult(title, False, f"the Service is named {names}; the Ingress's backend is Service 'hello'")
    problems = [p for p in manifests.check_rules(docs) if p.startswith(("Service/", "Ingress/"))]
    if problems:
        return CheckResult(title, False, "; ".join(problems))
    svc = next(d for d in services if d["metadata"]["name"] == "hello")
    ports = [(p.get("port"), p.get("targetPort")) for p in svc["spec"].get("ports") or []]
    return CheckResult(title, True, f"Service hello selects {svc['spec'].get('selector')} with ports {ports}")
