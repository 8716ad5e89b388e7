"""Lesson 03's tasks: a label added to the Pod from the lesson's file, and a Pod
the learner writes (labs/work/lesson-03/hello.yaml)."""

from __future__ import annotations

from .. import kube
from ..checks import CheckResult
from . import field, missing, task

NAMESPACE = "lesson-03"
IMAGE = "localhost:5001/hello:v1"


def labels_text(labels: dict | None) -> str:
    """Labels as a reader writes them.

    >>> labels_text({"tier": "front", "app": "web"})
    '{app: web, tier: front}'
    """
    return "{" + ", ".join(f"{k}: {v}" for k, v in sorted((labels or {}).items())) + "}"


@task("03", "pod-label")
def pod_label(namespace: str = NAMESPACE) -> CheckResult:
    """Pod web carries the label tier: front (re-applied from the learner's copy of pod.yaml)."""
    title = "pod web has the label tier: front"
    pod = kube.get("pod", "web", namespace)
    if pod is None:
        return missing("Pod", "web", namespace, title)
    labels = field(pod, "metadata.labels") or {}
    seen = f"pod web has labels {labels_text(labels)}"
    if labels.get("tier") == "front":
        return CheckResult(title, True, seen)
    if "tier" in labels:
        return CheckResult(title, False, f"{seen}: tier is {labels['tier']!r}, not front")
    return CheckResult(title, False, f"{seen}: no tier label yet")


def container_symptom(what: str, container: dict, port_names: dict | None = None) -> str | None:
    """What is off in a container the learner wrote (the symptom), or None when it has
    the lesson's image, pull policy and readiness probe (GET /healthz on 8080)."""
    image = container.get("image")
    if image != IMAGE:
        return f"{what} runs image {image}"
    policy = container.get("imagePullPolicy")
    if policy != "Always":
        return f"{what} pulls its image with imagePullPolicy {policy}"
    probe = container.get("readinessProbe")
    if not probe:
        return f"{what} has no readinessProbe"
    get = probe.get("httpGet")
    if not get:
        return f"{what}'s readinessProbe is not an httpGet ({', '.join(sorted(probe))})"
    port = get.get("port")
    number = (port_names or {}).get(port, port)
    if get.get("path") != "/healthz" or str(number) != "8080":
        return f"{what}'s readinessProbe asks GET {get.get('path')} on port {port}"
    return None


def port_names(container: dict) -> dict:
    """A container's named ports: name -> number."""
    return {p["name"]: p.get("containerPort") for p in container.get("ports") or [] if p.get("name")}


@task("03", "my-pod")
def my_pod(namespace: str = NAMESPACE) -> CheckResult:
    """Pod hello, labelled app: hello, runs hello:v1 (pulled Always), has an HTTP
    readiness probe on /healthz:8080 and is Ready."""
    title = "pod hello, written by you"
    pod = kube.get("pod", "hello", namespace)
    if pod is None:
        return missing("Pod", "hello", namespace, title)
    labels = field(pod, "metadata.labels") or {}
    if labels.get("app") != "hello":
        return CheckResult(title, False, f"pod hello has labels {labels_text(labels)}: no app: hello")
    container = field(pod, "spec.containers.0") or {}
    symptom = container_symptom("pod hello", container, port_names(container))
    if symptom:
        return CheckResult(title, False, symptom)
    conditions = {c.get("type"): c.get("status") for c in field(pod, "status.conditions") or []}
    if conditions.get("Ready") != "True":
        waiting = [s["state"]["waiting"].get("reason") for s in field(pod, "status.containerStatuses") or []
                   if (s.get("state") or {}).get("waiting")]
        state = field(pod, "status.phase") + (f", {', '.join(waiting)}" if waiting else "")
        return CheckResult(title, False, f"pod hello is not Ready yet ({state})", pending=True)
    return CheckResult(title, True, f"pod hello {labels_text(labels)} runs {IMAGE} (Always), "
                       "readiness GET /healthz on 8080, Ready")
