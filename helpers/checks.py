"""Exercise checks: each reads the real cluster state and, when it fails, says why
(the diagnosis) and what to change. Results render green/red in JupyterLab and as
``[PASS]``/``[FAIL]`` text in a terminal or pytest.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from . import config, kube, registry


@dataclass
class CheckResult:
    """One check: its name, whether it passed, what was seen, and the fix."""

    name: str
    ok: bool
    seen: str = ""
    fix: str = ""
    ok_word: str = "PASS"
    pending: bool = False  # a failure that may pass on its own in seconds ("so far", "yet")

    def __str__(self) -> str:
        text = f"[{self.ok_word if self.ok else 'FAIL'}] {self.name}"
        if self.seen:
            text += f": {self.seen}"
        if not self.ok and self.fix:
            text += f"\n       fix: {self.fix}"
        return text

    def _repr_html_(self) -> str:
        color = "#1a7f37" if self.ok else "#cf222e"
        fix = f"<br><b>fix:</b> {html.escape(self.fix)}" if not self.ok and self.fix else ""
        return (f'<div style="border-left:4px solid {color};padding:2px 8px;margin:2px 0">'
                f'<b style="color:{color}">{self.ok_word if self.ok else "FAIL"}</b> {html.escape(self.name)}: '
                f"{html.escape(self.seen)}{fix}</div>")


class Report(list):
    """A list of results that shows as one block and knows whether all passed."""

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self)

    def __str__(self) -> str:
        return "\n".join(str(r) for r in self)

    def _repr_html_(self) -> str:
        return "".join(r._repr_html_() for r in self)

    def __repr__(self) -> str:
        return str(self)


def _container_state(namespace: str, selector: str) -> dict:
    pods = kube.pods(namespace, selector)
    state = {"pods": len(pods), "ready": 0, "waiting": set(), "restarts": 0, "images": set()}
    for p in pods:
        for s in p.status.container_statuses or []:
            state["ready"] += int(bool(s.ready))
            state["restarts"] += s.restart_count
            state["images"].add(s.image)
            if s.state and s.state.waiting and s.state.waiting.reason:
                state["waiting"].add(s.state.waiting.reason)
    return state


def deployment_serves(name: str, namespace: str) -> CheckResult:
    """The Deployment's pods are all Ready; if not, why (crash, probe, image pull)."""
    dep = kube.get("deployment", name, namespace)
    title = f"deployment/{name} is Ready"
    if dep is None:
        return CheckResult(title, False, "it does not exist", f"apply its file: kube.apply('{name}.yaml', '{namespace}')")
    want = dep["spec"].get("replicas", 1)
    selector = kube.label_selector(dep["spec"]["selector"]["matchLabels"])
    st = _container_state(namespace, selector)
    if st["ready"] >= want and st["pods"] == want:
        return CheckResult(title, True, f"{st['ready']}/{want} pods Ready")
    image = dep["spec"]["template"]["spec"]["containers"][0]["image"]
    if st["waiting"] & {"ImagePullBackOff", "ErrImagePull"}:
        return CheckResult(title, False, f"ImagePullBackOff for {image}", _pull_fix(image))
    if st["waiting"] & {"CrashLoopBackOff"} or st["restarts"]:
        pod = kube.pods(namespace, selector)[0].metadata.name
        last = kube.logs(pod, namespace, tail=3).strip().splitlines()
        return CheckResult(title, False, "the container keeps exiting; last log: "
                           f"{last[-1] if last else '(none)'}",
                           "read `kubectl logs` and fix the command or the app it runs")
    probe_events = [e for e in kube.events(namespace, name) if "Readiness probe failed" in e]
    if probe_events:
        message = _probe_reason(probe_events[-1].split("Readiness probe failed:", 1)[1].strip())
        probe = dep["spec"]["template"]["spec"]["containers"][0].get("readinessProbe", {}).get("httpGet", {})
        return CheckResult(title, False, f"running but not Ready: readiness probe on port {probe.get('port')} "
                           f"failed ({message})",
                           "point the readiness probe at the port and path the app serves (8080, /healthz)")
    return CheckResult(title, False, f"{st['ready']}/{want} pods Ready so far", "wait a few seconds and check again",
                       pending=True)


def _probe_reason(message: str) -> str:
    """The kubelet's probe message, reduced to its cause.

    >>> _probe_reason('Get "http://10.244.0.7:8081/healthz": dial tcp 10.244.0.7:8081: connect: connection refused')
    'connection refused'
    """
    for needle, reason in (("connection refused", "connection refused"), ("deadline exceeded", "timed out"),
                           ("statuscode:", "HTTP error status")):
        if needle in message:
            return reason
    return message[:80]


def _pull_fix(image: str) -> str:
    repo, _, tag = image.rpartition(":")
    if tag == "latest" or ":" not in image.rsplit("/", 1)[-1]:
        return (f"{image} uses `latest`, which is never pushed or deployed here: put the exact pushed "
                "path and tag in the manifest (the 🔥 rule)")
    if repo.startswith(config.REGISTRY_HOST + "/"):
        pushed = registry.tags(repo.split("/", 1)[1])
        return (f"tag {tag} was never pushed to {config.REGISTRY_HOST} (it has: {', '.join(pushed) or 'none'}): "
                "push it, or copy the pushed tag in")
    return f"{image} is not in the local registry: build, push to {config.REGISTRY_HOST}, and use that path"


def service_answers(name: str, namespace: str, client: str = "client") -> CheckResult:
    """A request to the Service from inside the cluster gets an answer; if not, the port mismatch."""
    title = f"service/{name} answers"
    svc = kube.get("service", name, namespace)
    if svc is None:
        return CheckResult(title, False, "it does not exist", "apply the Service")
    script = (f"import urllib.request\ntry:\n print(urllib.request.urlopen('http://{name}/api', timeout=3).status)\n"
              "except Exception as e:\n print(type(e).__name__)")
    answer = kube.exec_(client, ["/bin/python", "-c", script], namespace).strip()
    if answer == "200":
        return CheckResult(title, True, "HTTP 200")
    selector = kube.label_selector(svc["spec"].get("selector", {}))
    ports: dict = {}
    for pod in kube.pods(namespace, selector):
        for c in pod.spec.containers:
            for p in c.ports or []:
                ports[p.name] = p.container_port
    target = svc["spec"]["ports"][0].get("targetPort")
    if target not in ports.values() and target not in ports:
        return CheckResult(title, False, f"no answer ({answer}): the Service sends to targetPort {target}, "
                           f"the pods listen on {sorted(set(ports.values()))}",
                           "set targetPort to the container's port (or its name, http)")
    return CheckResult(title, False, f"no answer ({answer})", "check the Service selector against the pod labels")


def hpa_measures(name: str, namespace: str) -> CheckResult:
    """The HPA has a CPU measurement; if not, why (no CPU request, no metrics API, nothing to scale).

    Twin: ``kubectl describe hpa NAME`` (Conditions and Events)
    """
    title = f"hpa/{name} measures CPU"
    hpa = kube.get("horizontalpodautoscaler", name, namespace)
    if hpa is None:
        return CheckResult(title, False, "it does not exist", "apply its file: labs.apply('autoscale', 'hpa'), "
                           "or start over with `labctl reset autoscale`")
    status = hpa.get("status", {})
    for m in status.get("currentMetrics") or []:
        current = (m.get("resource") or {}).get("current", {})
        if m.get("type") == "Resource" and current.get("averageUtilization") is not None:
            return CheckResult(title, True, f"CPU at {current['averageUtilization']}% of the request")
    messages = [c.get("message", "") for c in status.get("conditions") or [] if c.get("status") == "False"]
    text = " ".join(messages)  # conditions, not events: events keep a fixed cause for an hour
    if "missing request for cpu" in text:
        return CheckResult(title, False, "its pods request no CPU, so there is no 100% to take 50% of",
                           "add resources.requests.cpu (for example 50m) to the Deployment's container")
    if "no metrics returned" in text:
        return CheckResult(title, False, "no measurement of its pods yet (metrics-server scrapes every 15 s)",
                           "wait half a minute and check again", pending=True)
    if "unable to fetch metrics" in text or "could not find the requested resource" in text:
        return CheckResult(title, False, "the metrics API does not answer (metrics-server)",
                           "`kubectl top pods` should work: run `labctl up` to (re)install metrics-server")
    if "the HPA controller was unable to get the target's current scale" in text or "not found" in text:
        return CheckResult(title, False, "its scaleTargetRef names no existing Deployment",
                           "point scaleTargetRef at the Deployment's kind and name")
    return CheckResult(title, False, "no measurement yet (metrics-server scrapes every 15 s)",
                       "wait half a minute and check again", pending=True)


def hpa_can_scale(name: str, namespace: str, at_least: int = 3) -> CheckResult:
    """The HPA may add pods: ``maxReplicas`` of at least ``at_least``, above ``minReplicas``."""
    title = f"hpa/{name} may grow to {at_least} pods or more"
    hpa = kube.get("horizontalpodautoscaler", name, namespace)
    if hpa is None:
        return CheckResult(title, False, "it does not exist", "apply its file: labs.apply('autoscale', 'hpa')")
    lo, hi = hpa["spec"].get("minReplicas", 1), hpa["spec"]["maxReplicas"]
    if hi >= at_least and hi > lo:
        return CheckResult(title, True, f"{lo} to {hi} replicas")
    return CheckResult(title, False, f"minReplicas {lo}, maxReplicas {hi}: it can never add a pod at a peak",
                       f"set maxReplicas to {at_least} or more")
