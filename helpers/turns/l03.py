"""Lesson 03's tasks: a label added to the Pod from the lesson's file, and a Pod
the learner writes (labs/work/lesson-03/hello.yaml)."""

from __future__ import annotations

from .. import kube
from ..checks import CheckResult
from ..i18n import _
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
    title = _("pod web has the label tier: front")
    pod = kube.get("pod", "web", namespace)
    if pod is None:
        return missing("Pod", "web", namespace, title)
    labels = field(pod, "metadata.labels") or {}
    shown = labels_text(labels)
    if labels.get("tier") == "front":
        return CheckResult(title, True, _("pod web has labels {labels}").format(labels=shown))
    if "tier" in labels:
        return CheckResult(title, False, _("pod web has labels {labels}: tier is {tier!r}, not front")
                           .format(labels=shown, tier=labels["tier"]))
    return CheckResult(title, False, _("pod web has labels {labels}: no tier label yet").format(labels=shown))


def container_symptom(what: str, container: dict, port_names: dict | None = None) -> str | None:
    """What is off in a container the learner wrote (the symptom), or None when it has
    the lesson's image, pull policy and readiness probe (GET /healthz on 8080). ``what``
    names the object (``pod hello``) and is not translated."""
    image = container.get("image")
    if image != IMAGE:
        return _("{what} runs image {image}").format(what=what, image=image)
    policy = container.get("imagePullPolicy")
    if policy != "Always":
        return _("{what} pulls its image with imagePullPolicy {policy}").format(what=what, policy=policy)
    probe = container.get("readinessProbe")
    if not probe:
        return _("{what} has no readinessProbe").format(what=what)
    get = probe.get("httpGet")
    if not get:
        return _("{what}'s readinessProbe is not an httpGet ({fields})").format(what=what, fields=", ".join(sorted(probe)))
    port = get.get("port")
    number = (port_names or {}).get(port, port)
    if get.get("path") != "/healthz" or str(number) != "8080":
        return _("{what}'s readinessProbe asks GET {path} on port {port}").format(what=what, path=get.get("path"), port=port)
    return None


def port_names(container: dict) -> dict:
    """A container's named ports: name -> number."""
    return {p["name"]: p.get("containerPort") for p in container.get("ports") or [] if p.get("name")}


@task("03", "my-pod")
def my_pod(namespace: str = NAMESPACE) -> CheckResult:
    """Pod hello, labelled app: hello, runs hello:v1 (pulled Always), has an HTTP
    readiness probe on /healthz:8080 and is Ready."""
    title = _("pod hello, written by you")
    pod = kube.get("pod", "hello", namespace)
    if pod is None:
        return missing("Pod", "hello", namespace, title)
    labels = field(pod, "metadata.labels") or {}
    if labels.get("app") != "hello":
        return CheckResult(title, False, _("pod hello has labels {labels}: no app: hello").format(labels=labels_text(labels)))
    container = field(pod, "spec.containers.0") or {}
    symptom = container_symptom("pod hello", container, port_names(container))
    if symptom:
        return CheckResult(title, False, symptom)
    conditions = {c.get("type"): c.get("status") for c in field(pod, "status.conditions") or []}
    if conditions.get("Ready") != "True":
        waiting = [s["state"]["waiting"].get("reason") for s in field(pod, "status.containerStatuses") or []
                   if (s.get("state") or {}).get("waiting")]
        state = field(pod, "status.phase") + (f", {', '.join(waiting)}" if waiting else "")
        return CheckResult(title, False, _("pod hello is not Ready yet ({state})").format(state=state), pending=True)
    return CheckResult(title, True, _("pod hello {labels} runs {image} (Always), readiness GET /healthz on 8080, Ready")
                       .format(labels=labels_text(labels), image=IMAGE))
