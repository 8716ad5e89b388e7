"""Lesson 08's "Your turn": the learner writes the back end's Service. The check
reads the Service, the pods its selector picks and its EndpointSlices, and says
what it sees: no Service, a selector that picks no pod or the wrong pods, a
port the front does not call, a targetPort the pods do not listen on."""

from __future__ import annotations

from .. import kube, waiting
from ..checks import CheckResult
from ..errors import WaitTimedOut
from ..i18n import _
from . import missing, task

NAMESPACE = "lesson-08"
FRONT_PORT = 80  # the front calls http://back/api: port 80


def _labels(selector: dict) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in selector.items()) + "}"


def _live(pod: dict) -> bool:
    return not pod["metadata"].get("deletionTimestamp") and pod["status"].get("phase") in ("Pending", "Running")


def _ready_endpoints(namespace: str) -> list[dict]:
    slices = kube.get("endpointslice", None, namespace, selector="kubernetes.io/service-name=back") or []
    return [e for s in slices for e in s.get("endpoints") or [] if (e.get("conditions") or {}).get("ready")]


@task("08", "back-service")
def back_service(namespace: str = NAMESPACE) -> CheckResult:
    """service/back picks exactly the back Deployment's pods, on port 80, to a port they listen on."""
    title = _("service/back sends to the back pods")
    svc = kube.get("service", "back", namespace)
    if svc is None:
        return missing("Service", "back", namespace, title)
    dep = kube.get("deployment", "back", namespace)
    if dep is None:
        return CheckResult(title, False, _("there is no deployment/back in {namespace}: no back pods to send to")
                           .format(namespace=namespace))
    selector = svc["spec"].get("selector") or {}
    if not selector:
        return CheckResult(title, False, _("service/back has no selector: Kubernetes picks no pods for it"))
    picked = [p for p in kube.get("pod", None, namespace, selector=kube.label_selector(selector)) or [] if _live(p)]
    back = {p["metadata"]["name"] for p in kube.get("pod", None, namespace, selector=kube.label_selector(
        dep["spec"]["selector"]["matchLabels"])) or [] if _live(p)}
    if not picked:
        return CheckResult(title, False, _("it selects {labels}: no pod in {namespace} has these labels, "
                                           "so it has no endpoints").format(labels=_labels(selector), namespace=namespace))
    others = sorted(p["metadata"]["name"] for p in picked if p["metadata"]["name"] not in back)
    if others:
        return CheckResult(title, False, _("it selects {labels}: that picks {picked} pods, "
                                           "{others} of them not back pods ({names})").format(
            labels=_labels(selector), picked=len(picked), others=len(others), names=", ".join(others)))
    if len(picked) < len(back):
        return CheckResult(title, False, _("it selects {labels}: that picks {picked} of the {back} back pods")
                           .format(labels=_labels(selector), picked=len(picked), back=len(back)))
    ports = svc["spec"].get("ports") or []
    port = next((p for p in ports if p.get("port") == FRONT_PORT), None)
    if port is None:
        return CheckResult(title, False, _("it listens on port(s) {ports}; the front calls http://back/api, "
                                           "which is port {port}").format(ports=[p.get("port") for p in ports],
                                                                          port=FRONT_PORT))
    target = port.get("targetPort", FRONT_PORT)
    container = dep["spec"]["template"]["spec"]["containers"][0]
    listening = {c.get("name"): c["containerPort"] for c in container.get("ports") or []}
    if target not in listening.values() and target not in listening:
        return CheckResult(title, False, _("it sends port {port} to targetPort {target}; the back "
                                           "container listens on {ports}").format(
            port=FRONT_PORT, target=target, ports=sorted(listening.values())))
    try:
        # A Service applied a moment ago gets its EndpointSlice within a second or so.
        ready = waiting.poll(lambda: _ready_endpoints(namespace) or None, timeout=5, what="endpoints of service/back")
    except WaitTimedOut:
        ready = []
    if not ready:
        return CheckResult(title, False, _("its selector picks the back pods, but it has no ready endpoints so far"),
                           pending=True)
    return CheckResult(title, True, _("{labels} picks the {back} back pods; {ready} ready endpoint(s), port {port} → {target}")
                       .format(labels=_labels(selector), back=len(back), ready=len(ready), port=FRONT_PORT, target=target))
