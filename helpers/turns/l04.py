"""Lesson 04's task: a Deployment the learner writes (labs/work/lesson-04/hello.yaml)."""

from __future__ import annotations

from .. import kube
from ..checks import CheckResult
from . import field, missing, task
from .l03 import IMAGE, container_symptom, labels_text, port_names

NAMESPACE = "lesson-04"


@task("04", "my-deployment")
def my_deployment(namespace: str = NAMESPACE) -> CheckResult:
    """Deployment hello runs 2 replicas of hello:v1 (pulled Always) with an HTTP
    readiness probe on /healthz:8080, and both pods are Ready."""
    title = "deployment hello, written by you"
    dep = kube.get("deployment", "hello", namespace, api_version="apps/v1")
    if dep is None:
        return missing("Deployment", "hello", namespace, title)
    want = field(dep, "spec.replicas")
    if want != 2:
        return CheckResult(title, False, f"deployment hello asks for {want} replicas")
    labels = field(dep, "spec.template.metadata.labels") or {}
    if labels.get("app") != "hello":
        return CheckResult(title, False, f"deployment hello's pods get labels {labels_text(labels)}: no app: hello")
    container = field(dep, "spec.template.spec.containers.0") or {}
    symptom = container_symptom("deployment hello", container, port_names(container))
    if symptom:
        return CheckResult(title, False, symptom)
    if field(dep, "status.observedGeneration") != field(dep, "metadata.generation"):
        return CheckResult(title, False, "deployment hello's controller has not seen its latest spec yet",
                           pending=True)
    ready = field(dep, "status.readyReplicas") or 0
    updated = field(dep, "status.updatedReplicas") or 0
    if ready < want or updated < want:
        return CheckResult(title, False, f"deployment hello has {ready}/{want} pods Ready ({updated} up to date)",
                           pending=True)
    return CheckResult(title, True, f"deployment hello: {ready}/{want} pods of {IMAGE} Ready "
                       "(Always, readiness GET /healthz on 8080)")
