"""Lesson 05's "Your turn": the learner's own HorizontalPodAutoscaler for the
dedicated ``noon`` Deployment, written from ``kubectl autoscale --dry-run=client
-o yaml`` and ``kubectl explain hpa.spec.behavior``."""

from __future__ import annotations

from .. import kube
from ..checks import CheckResult
from ..i18n import _
from . import field, missing, task

NAMESPACE = "lesson-05"
TITLE = "hpa noon"
#: What the lesson asks for: noon's pods between 1 and 3, 60% of their CPU
#: request, and a scale-down that waits 15 s instead of the default 300 s.
WANT = {"min": 1, "max": 3, "cpu": 60, "down": 15}


@task("05", "hpa-noon")
def hpa_noon(namespace: str = NAMESPACE) -> CheckResult:
    """The live HPA ``noon`` in ``namespace``: what it scales, its bounds, its CPU
    target and how long it waits before scaling down."""
    hpa = kube.get("hpa", "noon", namespace)
    if hpa is None:
        return missing("HorizontalPodAutoscaler", "noon", namespace, TITLE)
    ref = field(hpa, "spec.scaleTargetRef") or {}
    target = f"{(ref.get('kind') or '?').lower()}/{ref.get('name') or '?'}"
    cpu = next((field(m, "resource.target") for m in field(hpa, "spec.metrics") or []
                if m.get("type") == "Resource" and field(m, "resource.name") == "cpu"), None) or {}
    down = field(hpa, "spec.behavior.scaleDown.stabilizationWindowSeconds")
    unit = "%" if cpu.get("type") == "Utilization" else f" ({cpu.get('type')})" if cpu else ""
    seen = _("scales {target} between {min} and {max} pods, CPU target {cpu}{unit} of the request, "
             "scale-down waits {wait}").format(
        target=target, min=field(hpa, "spec.minReplicas") or 1, max=field(hpa, "spec.maxReplicas"),
        cpu=cpu.get("averageUtilization", _("none")), unit=unit,
        wait=_("the default 300 s") if down is None else _("{seconds} s").format(seconds=down))
    problems = []
    if ref.get("kind") != "Deployment" or ref.get("name") != "noon":
        problems.append(_("it does not scale deployment/noon"))
    elif kube.get("deployment", "noon", namespace) is None:
        problems.append(_("deployment/noon is not in {namespace}").format(namespace=namespace))
    if (field(hpa, "spec.minReplicas") or 1, field(hpa, "spec.maxReplicas")) != (WANT["min"], WANT["max"]):
        problems.append(_("the bounds are not {min} to {max}").format(min=WANT["min"], max=WANT["max"]))
    if cpu.get("type") != "Utilization" or cpu.get("averageUtilization") != WANT["cpu"]:
        problems.append(_("the CPU target is not {cpu}% of the request").format(cpu=WANT["cpu"]))
    if down != WANT["down"]:
        problems.append(_("the scale-down does not wait {seconds} s").format(seconds=WANT["down"]))
    return CheckResult(TITLE, not problems, seen + ("" if not problems else ": " + "; ".join(problems)))
