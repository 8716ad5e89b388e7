"""Lesson 04's task: a Deployment the learner writes (labs/work/lesson-04/hello.yaml)."""

from __future__ import annotations

from .. import kube
from ..checks import CheckResult
from ..i18n import _
from . import field, missing, task
from .l03 import IMAGE, container_symptom, labels_text, port_names

NAMESPACE = "lesson-04"


@task("04", "my-deployment")
def my_deployment(namespace: str = NAMESPACE) -> CheckResult:
    """Deployment hello runs 2 replicas of hello:v1 (pulled Always) with an HTTP
    readiness probe on /healthz:8080, and both pods are Ready."""
    title = _("deployment hello, written by you")
    dep = kube.get("deployment", "hello", namespace, api_version="apps/v1")
    if dep is None:
        return missing("Deployment", "hello", namespace, title)
    want = field(dep, "spec.replicas")
    if want != 2:
        return CheckResult(title, False, _("deployment hello asks for {want} replicas").format(want=want))
    labels = field(dep, "spec.template.metadata.labels") or {}
    if labels.get("app") != "hello":
        return CheckResult(title, False, _("deployment hello's pods get labels {labels}: no app: hello")
                           .format(labels=labels_text(labels)))
    container = field(dep, "spec.template.spec.containers.0") or {}
    symptom = container_symptom("deployment hello", container, port_names(container))
    if symptom:
        return CheckResult(title, False, symptom)
    if field(dep, "status.observedGeneration") != field(dep, "metadata.generation"):
        return CheckResult(title, False, _("deployment hello's controller has not seen its latest spec yet"),
                           pending=True)
    ready = field(dep, "status.readyReplicas") or 0
    updated = field(dep, "status.updatedReplicas") or 0
    if ready < want or updated < want:
        return CheckResult(title, False, _("deployment hello has {ready}/{want} pods Ready ({updated} up to date)")
                           .format(ready=ready, want=want, updated=updated), pending=True)
    return CheckResult(title, True, _("deployment hello: {ready}/{want} pods of {image} Ready "
                                      "(Always, readiness GET /healthz on 8080)")
                       .format(ready=ready, want=want, image=IMAGE))
