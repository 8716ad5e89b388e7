"""Labs: a starting state (``reset``), the learner's working copy of the files,
and checks on the real cluster and Docker engine (``check``). Solutions live in
``labs/solutions``; one lab follows each notebook.

Twin in a shell: ``labctl reset NAME`` and ``labctl check NAME``.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import checks, config, containers, images, kube, lessons, manifests, registry
from .docker_client import client
from .errors import LabError

LABS_DIR = config.REPO_ROOT / "labs"
WORK_DIR = LABS_DIR / "work"


@dataclass(frozen=True)
class Lab:
    """A lab: the notebook it follows, its namespace ("" for a Docker-only lab), its
    exercises with their hints, and the checks that read the real state, given the
    namespace. ``deploy``: apply each exercise's start file at reset (the broken
    apps); ``start``: any other starting state, given the lab and the app image."""

    name: str
    after: str
    namespace: str
    hints: dict[str, str]
    checks: Callable[[str], list[checks.CheckResult]]
    deploy: bool = True
    start: Callable[["Lab", str], None] | None = None
    learner_makes_namespace: bool = False

    @property
    def exercises(self) -> tuple[str, ...]:
        return tuple(self.hints)

    @property
    def work(self) -> Path:
        return WORK_DIR / self.name


CONTAINER = "lab-web"  # lab containers: the container the learner fixes
CONTAINER_PORT = 8089
IMAGES_REPO = "lab-images/app"
CICD_HOST = "cicd.localhost"


def _start_containers(lab: Lab, image: str) -> None:
    # Published on the wrong container port, and without a memory limit.
    containers.cleanup(lab=lab.name)
    containers.start(image, CONTAINER, lab=lab.name, ports={"80/tcp": CONTAINER_PORT})


def _start_images(lab: Lab, image: str) -> None:
    registry.forget(IMAGES_REPO)
    target = f"{config.REGISTRY_HOST}/{IMAGES_REPO}:v1"
    if images.exists(target):
        client().images.remove(target, force=True)


def _start_cicd(lab: Lab, image: str) -> None:
    """The learner's repository, deployed once; then a change left uncommitted."""
    from . import pipeline  # noqa: PLC0415

    repo = lessons.learner_repo(lab.work)
    ingress = repo / "k8s" / "ingress.yaml"
    ingress.write_text(ingress.read_text().replace("hello.localhost", CICD_HOST))
    lessons.git(repo, "commit", "-qam", "publish at cicd.localhost")
    pipeline.run(repo, namespace=lab.namespace, echo=False)
    (repo / "VERSION").write_text("v2\n")


def cicd_repo() -> Path:
    """The cicd lab's repository (made by ``reset('cicd')``)."""
    return work_dir("cicd") / "hello"


LABS = {
    "setup": Lab("setup", "00", "lab-setup", {
        "answers": "labctl doctor prints the Kubernetes version; kubectl get nodes counts the nodes; "
                   "the registry's address is in the README and in `docker ps`.",
        "namespace": "Kinds are case-sensitive (kubectl api-resources lists them), and labels sit under "
                     "metadata.labels.",
    }, lambda ns: [checks.answers_match(work_dir("setup") / "answers.yaml"), checks.namespace_labelled(ns, "owner")],
        deploy=False, learner_makes_namespace=True),
    "containers": Lab("containers", "01", "", {
        "port": "docker ps shows the mapping HOST->CONTAINER. Which port does the app print it listens on "
                "(docker logs lab-web)?",
        "memory": "docker inspect -f '{{.HostConfig.Memory}}' lab-web; a limit is set when the container is "
                  "created: --memory 64m.",
    }, lambda ns: [checks.container_serves(CONTAINER, CONTAINER_PORT), checks.container_memory(CONTAINER, "64m")],
        deploy=False, start=_start_containers),
    "images": Lab("images", "02", "", {
        "cache": "Each step's cache key includes the files it copies. Which step copies app.py, and which steps "
                 "come after it?",
        "push": "An image reaches the registry by its name: tag it localhost:5001/lab-images/app:v1, then push.",
    }, lambda ns: [checks.build_caches(work_dir("images") / "app", slow="sleep"),
                   checks.image_pushed(IMAGES_REPO, "v1")],
        deploy=False, start=_start_images),
    "pods": Lab("pods", "03", "lab-pods", {
        "pod": "kubectl describe pod hello -n lab-pods: the Events say which image could not be pulled. "
               "What does the registry hold? registry.repositories()",
        "labels": "kubectl get pods -n lab-pods --show-labels. Label keys and values are case-sensitive.",
    }, lambda ns: [checks.pod_runs("hello", ns), checks.pods_selected("app=web,tier=frontend", ns, "web")]),
    "breakfix": Lab("breakfix", "04", "lab-breakfix", {
        "crash": "Look at the pod's logs (kube.logs('deployment/crash', 'lab-breakfix')): which file does it try to run?",
        "ready": "Compare the readinessProbe's port with the containerPort the app listens on.",
        "port": "A Service's targetPort must be a port the pods listen on (or that port's name).",
        "pull": "Which tags does the registry hold? registry.tags('hello'). Is `latest` among them?",
    }, lambda ns: [checks.deployment_serves("crash", ns), checks.deployment_serves("ready", ns),
                   checks.deployment_serves("port", ns), checks.service_answers("port", ns),
                   checks.deployment_serves("pull", ns)]),
    "autoscale": Lab("autoscale", "05", "lab-autoscale", {
        "web": "kubectl describe hpa web -n lab-autoscale: what does the HPA say it is missing to compute a percentage?",
        "hpa": "Read the HPA's spec: between which replica counts may it choose?",
    }, lambda ns: [checks.deployment_serves("web", ns), checks.hpa_measures("web", ns),
                   checks.hpa_can_scale("web", ns)]),
    "pipeline": Lab("pipeline", "06", "lab-pipeline", {
        "deploy": "The 🔥 rule: the manifest's image is exactly what was pushed, tag included. "
                  "registry.tags('hello') lists the pushed tags.",
        "ingress": "An Ingress sends to a Service by name and port: kubectl get svc -n lab-pipeline.",
    }, lambda ns: [checks.image_rule(work_dir("pipeline") / "deploy.yaml", lessons.hello_image("v1")),
                   checks.deployment_serves("hello", ns), checks.ingress_answers("hello", ns)]),
    "cicd": Lab("cicd", "07", "lab-cicd", {
        "commit": "git status in the repository: the pipeline deploys commits, not edits.",
        "watch": "Start the loop before you commit: watcher = cicd.Watcher(repo, namespace='lab-cicd').start()",
    }, lambda ns: [checks.live_is_head(cicd_repo(), "hello", ns), checks.ingress_answers("hello", ns)],
        deploy=False, start=_start_cicd),
    "services": Lab("services", "08", "lab-services", {
        "back": "front calls http://back/api: the name in that URL is a Service's name (its DNS name).",
        "front": "kubectl get endpoints front -n lab-services: a Service with no endpoints selects no pods. "
                 "Compare its selector with the pods' labels.",
    }, lambda ns: [checks.deployment_serves("back", ns), checks.deployment_serves("front", ns),
                   checks.service_answers("front", ns), checks.upstream_reached("front", "back", ns)]),
}


def get(name: str) -> Lab:
    try:
        return LABS[name]
    except KeyError:
        raise KeyError(f"no lab {name!r}; labs: {', '.join(LABS)}") from None


def work_dir(name: str) -> Path:
    """The learner's copy of the lab's files: edit these, then :func:`apply` them."""
    return get(name).work


def reset(name: str, *, echo: bool = True) -> str:
    """Back to the starting state: the start files copied to the work folder
    (``labs/work/NAME``), a fresh namespace with the broken apps and a client pod
    to test from, and whatever else the lab starts from. Returns the app image."""
    lab = get(name)
    image = lessons.hello_image("v1")
    if lab.learner_makes_namespace:
        kube.delete_namespace(lab.namespace, wait=True, timeout=120)
    elif lab.namespace:
        lessons.fresh_namespace(lab.namespace, lab=name)
    shutil.rmtree(lab.work, ignore_errors=True)
    start = LABS_DIR / name / "start"
    if start.is_dir():
        shutil.copytree(start, lab.work)
    else:
        lab.work.mkdir(parents=True)
    if lab.deploy:
        lessons.client_pod(lab.namespace, image)
        for ex in lab.exercises:
            kube.apply(manifests.fill_placeholder(lab.work / f"{ex}.yaml", image), lab.namespace, lab=name)
    if lab.start:
        lab.start(lab, image)
    if echo and lab.deploy:
        print(f"lab {name}: {len(lab.exercises)} exercises deployed broken in namespace {lab.namespace}; "
              f"edit the files in labs/work/{name}/, then labs.apply('{name}', ...)")
    elif echo:
        where = f" (namespace {lab.namespace})" if lab.namespace else ""
        print(f"lab {name}: starting state ready{where}; your files: labs/work/{name}/")
    return image


def cleanup(name: str) -> None:
    """Remove what the lab made: its namespace, its containers, its work folder.

    Twin: ``kubectl delete namespace NAME``; ``docker rm -f`` of the lab's containers.
    """
    lab = get(name)
    if lab.namespace:
        kube.delete_namespace(lab.namespace, wait=True, timeout=120)
    containers.cleanup(lab=name)
    shutil.rmtree(lab.work, ignore_errors=True)


def apply(name: str, exercise: str, folder: Path | None = None) -> list[str]:
    """Apply one exercise's file (the learner's work copy, or ``folder``) to the lab namespace."""
    lab = get(name)
    if not lab.namespace or exercise not in lab.exercises:
        raise LabError(f"lab {name} has no exercise {exercise!r} to apply",
                       hint=f"its exercises: {', '.join(lab.exercises)}; Docker labs are done with "
                            "containers/images calls, not files")
    image = lessons.hello_image("v1")
    path = (folder or work_dir(name)) / f"{exercise}.yaml"
    applied = kube.apply(manifests.fill_placeholder(path, image), lab.namespace, lab=name)
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
    key, since = _verdicts(report), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(3)
        report = check(name)
        if _verdicts(report) != key or any(r.pending for r in report):
            key, since = _verdicts(report), time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return report


def _verdicts(report: checks.Report) -> list[tuple]:
    # What must stay put: each check's verdict and the failures' diagnoses. A passing
    # check's text may vary (which pod answered) without the state changing.
    return [(r.name, r.ok, "" if r.ok else r.seen) for r in report]


def hint(name: str, exercise: str) -> str:
    """A hint, shown only when asked."""
    return get(name).hints[exercise]
