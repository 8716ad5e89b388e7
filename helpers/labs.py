"""Labs: a starting state (``reset``), the learner's working copy of the files,
and checks on the real cluster (``check``). Solutions live in ``labs/solutions``.

Twin in a shell: ``labctl reset breakfix`` and ``labctl check breakfix`` (and ``autoscale``).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import checks, config, kube, lessons
from .errors import LabError

LABS_DIR = config.REPO_ROOT / "labs"
WORK_DIR = LABS_DIR / "work"


@dataclass(frozen=True)
class Lab:
    """A lab: its namespace, its exercises (one start file each) with their hints,
    and the checks that read the cluster, given the namespace."""

    name: str
    namespace: str
    hints: dict[str, str]
    checks: Callable[[str], list[checks.CheckResult]]

    @property
    def exercises(self) -> tuple[str, ...]:
        return tuple(self.hints)


LABS = {
    "breakfix": Lab("breakfix", "lab-breakfix", {
        "crash": "Look at the pod's logs (kube.logs('deployment/crash', 'lab-breakfix')): which file does it try to run?",
        "ready": "Compare the readinessProbe's port with the containerPort the app listens on.",
        "port": "A Service's targetPort must be a port the pods listen on (or that port's name).",
        "pull": "Which tags does the registry hold? registry.tags('hello'). Is `latest` among them?",
    }, lambda ns: [checks.deployment_serves("crash", ns), checks.deployment_serves("ready", ns),
                   checks.deployment_serves("port", ns), checks.service_answers("port", ns),
                   checks.deployment_serves("pull", ns)]),
    "autoscale": Lab("autoscale", "lab-autoscale", {
        "web": "kubectl describe hpa web -n lab-autoscale: what does the HPA say it is missing to compute a percentage?",
        "hpa": "Read the HPA's spec: between which replica counts may it choose?",
    }, lambda ns: [checks.deployment_serves("web", ns), checks.hpa_measures("web", ns),
                   checks.hpa_can_scale("web", ns)]),
}


def get(name: str) -> Lab:
    try:
        return LABS[name]
    except KeyError:
        raise KeyError(f"no lab {name!r}; labs: {', '.join(LABS)}") from None


def work_dir(name: str) -> Path:
    """The learner's copy of the lab's files: edit these, then :func:`apply` them."""
    return WORK_DIR / name


def render(path: Path, image: str) -> list[dict]:
    """A lab file with only the ``IMAGE`` placeholder filled in: whatever else the
    learner wrote (a wrong path, ``latest``) goes to the cluster as written."""
    return kube.load_docs(path.read_text().replace("image: IMAGE", f"image: {image}"))


def reset(name: str, *, echo: bool = True) -> str:
    """Back to the starting state: a fresh namespace, the broken files copied to the
    work folder and applied, a client pod to test from. Returns the app image."""
    lab = get(name)
    image = lessons.hello_image("v1")
    lessons.fresh_namespace(lab.namespace, lab=name)
    target = work_dir(name)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(LABS_DIR / name / "start", target)
    lessons.client_pod(lab.namespace, image)
    for ex in lab.exercises:
        kube.apply(render(target / f"{ex}.yaml", image), lab.namespace, lab=name)
    if echo:
        print(f"lab {name}: {len(lab.exercises)} exercises deployed broken in namespace {lab.namespace}; "
              f"edit the files in labs/work/{name}/, then labs.apply('{name}', ...)")
    return image


def apply(name: str, exercise: str, folder: Path | None = None) -> list[str]:
    """Apply one exercise's file (the learner's work copy, or ``folder``) to the lab namespace."""
    lab = get(name)
    image = lessons.hello_image("v1")
    path = (folder or work_dir(name)) / f"{exercise}.yaml"
    applied = kube.apply(render(path, image), lab.namespace, lab=name)
    for obj in applied:
        if obj.startswith("deployment/"):
            try:
                kube.rollout_status(obj.split("/", 1)[1], lab.namespace, timeout=60)
            except LabError:
                pass  # check() says what is still wrong
    return applied


def check(name: str) -> checks.Report:
    """Every exercise's check on the real cluster state."""
    lab = get(name)
    return checks.Report(lab.checks(lab.namespace))


def settle(name: str, timeout: float = 150, quiet: float = 20) -> checks.Report:
    """Wait until the lab's state stops changing (pods crashed, probes failed, pulls
    backed off, the HPA re-evaluated every 15 s), so a check shows the lasting state,
    not a transient one: the report must stay the same for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    report = check(name)
    text, since = str(report), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(3)
        report = check(name)
        if str(report) != text or any(r.pending for r in report):
            text, since = str(report), time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return report


def hint(name: str, exercise: str) -> str:
    """A hint, shown only when asked."""
    return get(name).hints[exercise]
