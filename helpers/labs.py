"""Labs: exercises the learner does with kubectl and docker, checked on the real
cluster and Docker engine.

One folder per lab, ``labs/NAME/``: ``lab.yaml`` (its exercises, the checks of each
by name, three hints per exercise), ``start/`` (the files the learner starts from,
copied to ``labs/work/NAME/``), ``solution/`` and ``instructor.ipynb``, whose
solution cells are marked ``### BEGIN SOLUTION`` / ``### END SOLUTION``. The
student notebook ``labs/NAME.ipynb`` is generated from it (:func:`student_notebook`).

A check says what it sees (the symptom), never the fix; hints come on request,
level by level: 1 where to look, 2 what is wrong, 3 the fix.

In a shell: ``labctl reset NAME``, ``labctl check NAME``, ``labctl hint NAME EXERCISE``,
``labctl progress``.
"""

from __future__ import annotations

import copy
import dataclasses
import html
import inspect
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import checks, config, containers, images, kube, lessons, manifests, registry, waiting
from .docker_client import client
from .errors import LabError, WaitTimedOut
from .i18n import N_, _, pad, screen_width

LABS_DIR = config.REPO_ROOT / "labs"
WORK_DIR = LABS_DIR / "work"
HINT_LEVELS = (N_("where to look"), N_("what is wrong"), N_("the fix"))  # shown with _()
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
# The student copy's note where a solution was. Always English in labs/NAME.ipynb; the
# Korean edition (helpers/edition.py) puts the catalog's Korean in its place.
YOUR_TURN = N_("# Your turn: work in the terminal (kubectl, docker, an editor on labs/work/{name}/),\n# or here with !commands. Then run the check below.")

CONTAINER = "lab-web"  # lab containers: the container the learner fixes
CONTAINER_PORT = 8089
IMAGES_REPO = "lab-images/app"
CICD_HOST = "cicd.localhost"
CAPSTONE_REPO = "capstone"
NAMESPACE_GONE = 300  # seconds a lab's namespace may take to go


@dataclass(frozen=True)
class Check:
    """One check of an exercise: a function of :mod:`helpers.checks` by name, its
    arguments, and whether it is heavy (builds, drives a load): ``progress`` then
    shows its last result instead of running it."""

    function: str
    args: dict
    heavy: bool = False


@dataclass(frozen=True)
class Exercise:
    name: str
    task: str
    checks: tuple[Check, ...]
    hints: tuple[str, str, str]
    answers: tuple[str, ...] = ()  # text that gives the answer away: never in a student notebook


@dataclass(frozen=True)
class Lab:
    """A lab as ``labs/NAME/lab.yaml`` defines it."""

    name: str
    title: str
    after: str
    namespace: str  # "" for a Docker-only lab
    exercises_: tuple[Exercise, ...]
    deploy: tuple[str, ...] = ()  # start files applied at reset (the broken apps)
    client: bool = False  # a client pod to send requests from inside the cluster
    start: str = ""  # a starting-state function of this module: _start_<start>
    learner_makes_namespace: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def exercises(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.exercises_)

    def exercise(self, name: str) -> Exercise:
        for e in self.exercises_:
            if e.name == name:
                return e
        raise LabError(_("lab {lab} has no exercise {exercise!r}").format(lab=self.name, exercise=name),
                       hint=_("its exercises: {exercises}").format(exercises=", ".join(self.exercises)))

    @property
    def folder(self) -> Path:
        return LABS_DIR / self.name

    @property
    def work(self) -> Path:
        return WORK_DIR / self.name


def load(folder: Path) -> Lab:
    """A lab from its folder's ``lab.yaml``."""
    spec = yaml.safe_load((folder / "lab.yaml").read_text())
    exercises = []
    for name, ex in spec["exercises"].items():
        hints = tuple(ex["hints"])
        if len(hints) != 3:
            raise LabError(f"labs/{folder.name}/lab.yaml: exercise {name} has {len(hints)} hints",
                           hint="three per exercise: " + ", ".join(HINT_LEVELS))
        found = tuple(Check(c["check"], c.get("args") or {}, bool(c.get("heavy"))) for c in ex["checks"])
        exercises.append(Exercise(name, ex["task"].strip(), found, hints, tuple(ex.get("answers") or ())))
    return Lab(folder.name, spec["title"], str(spec["after"]), spec.get("namespace", ""), tuple(exercises),
               tuple(spec.get("deploy") or ()), bool(spec.get("client")), spec.get("start", ""),
               bool(spec.get("learner_makes_namespace")), spec.get("extra") or {})


def _discover() -> dict[str, Lab]:
    found = {p.parent.name: load(p.parent) for p in LABS_DIR.glob("*/lab.yaml")}
    return dict(sorted(found.items(), key=lambda kv: (kv[1].after, kv[0])))


LABS = _discover()


def get(name: str) -> Lab:
    try:
        return LABS[name]
    except KeyError:
        raise LabError(_("no lab {name!r}").format(name=name), hint=_("labs: {labs}").format(labs=", ".join(LABS))) from None


def work_dir(name: str) -> Path:
    """The learner's copy of the lab's files: edit these, apply them with kubectl."""
    return get(name).work


# --- starting states ------------------------------------------------------------------------------

def lab_image() -> str:
    """The image the labs' apps run: the sample app, plain-tagged, as in the lessons."""
    return lessons.hello_image("v1", plain=True)


def _start_containers(lab: Lab, image: str) -> None:
    # Published on the wrong container port, and without a memory limit.
    containers.cleanup(lab=lab.name)
    containers.remove(CONTAINER)
    containers.start(image, CONTAINER, lab=lab.name, ports={"80/tcp": CONTAINER_PORT})


def base_image() -> str:
    """The Python base image a lab's Dockerfile is built from here (``BASE_IMAGE``): the
    offline kit's on a machine without registry access."""
    return config.detect_mode().image("python:3.11-slim-bookworm")


def _announce_base() -> None:
    # `docker build` in the terminal needs it; `!docker build ... $BASE` in a cell reads it too.
    os.environ["BASE"] = base_image()
    print(_("docker build needs --build-arg BASE_IMAGE=$BASE; in a terminal first: export BASE={base}")
          .format(base=base_image()))


def _start_images(lab: Lab, image: str) -> None:
    _announce_base()
    registry.forget(IMAGES_REPO)
    target = f"{config.REGISTRY_HOST}/{IMAGES_REPO}:v1"
    if images.exists(target):
        client().images.remove(target, force=True)


def _start_pipeline(lab: Lab, image: str) -> None:
    """The pipeline's build and push, done: the pushed path is printed for the learner to copy."""
    pushed = lessons.hello_image("v1")
    _state(lab, "pushed").write_text(json.dumps(pushed))
    print(_("pipeline steps 1-3 done: built and pushed {image}").format(image=pushed))


def pipeline_pushed() -> str:
    """The path the pipeline lab pushed at its reset."""
    return json.loads(_state(get("pipeline"), "pushed").read_text())


def _start_cicd(lab: Lab, image: str) -> None:
    """A bare repository playing GitHub, whose push hook runs the CI/CD loop for the lab's
    namespace; the learner's clone (``labs/work/cicd/hello``: the app, ``tests/``, ``k8s/``)
    pushed once, so v1 went live through the loop; then a teammate's v2 change left
    uncommitted in the clone, one that breaks a test."""
    from . import cicd  # noqa: PLC0415

    repo, origin = cicd_repo(), cicd_origin()
    for name in ("Dockerfile", ".dockerignore", "app.py", "VERSION", "collect_runtime.py"):
        shutil.copy(lessons.HELLO / name, repo / name)
    origin.parent.mkdir(parents=True, exist_ok=True)
    lessons.git(origin.parent, "init", "-q", "--bare", "-b", "main", origin.name)
    cicd.install_push_hook(origin, lab.namespace)
    lessons.git(repo, "init", "-q", "-b", "main")
    for key, value in (("user.name", "learner"), ("user.email", "learner@kubelab.local")):
        lessons.git(repo, "config", key, value)  # the learner's own commits in the terminal
    lessons.git(repo, "remote", "add", "origin", "../github/hello.git")
    lessons.git(repo, "add", ".")
    lessons.git(repo, "commit", "-qm", "hello v1: the app, its tests, k8s/")
    # The first push goes through the loop as every later one will: test, build, deploy.
    pushed = subprocess.run(["git", "-C", str(repo), "push", "-q", "-u", "origin", "main"], capture_output=True,
                            text=True, env={**os.environ, **lessons.GIT_ENV})
    first = cicd.head(repo)
    if cicd.live_image("hello", lab.namespace) != f"{config.REGISTRY_HOST}/hello:{first}":
        raise LabError(_("lab cicd: the first push did not go live through the loop"),
                       "\n".join((pushed.stdout + pushed.stderr).strip().splitlines()[-12:]),
                       hint=_("run the loop by hand to see why: python -m helpers.cicd "
                              "--origin {origin} --namespace {namespace}").format(origin=origin, namespace=lab.namespace))
    print(_("pushed {sha} 'hello v1' to main: the loop tested, built and deployed it at http://{host}/")
          .format(sha=first, host=CICD_HOST))
    cicd_v2_change(repo)


def cicd_v2_change(repo: Path) -> None:
    """The teammate's v2 in the cicd lab's clone, uncommitted: VERSION v2, and the home page
    saying its version another way, which the repository's test (``version=...``) refuses."""
    app = repo / "app.py"
    before = app.read_text()
    after = before.replace('f"{MESSAGE} version={VERSION} pod={pod}\\n"', 'f"{MESSAGE} ({VERSION}) on {pod}\\n"')
    if after == before:
        raise LabError("lab cicd: apps/hello/app.py's home page line is not the one this lab changes",
                       hint="update helpers/labs.py cicd_v2_change to the app's new line")
    app.write_text(after)
    (repo / "VERSION").write_text("v2\n")


def _start_capstone(lab: Lab, image: str) -> None:
    """The learner's repository: the app's code only, no Dockerfile, no k8s/; nothing pushed."""
    _announce_base()
    registry.forget(CAPSTONE_REPO)
    for tag in [t for i in client().images.list() for t in i.tags if t.startswith(f"{config.REGISTRY_HOST}/{CAPSTONE_REPO}:")]:
        client().images.remove(tag, force=True)
    repo = lab.work / "repo"
    repo.mkdir(parents=True, exist_ok=True)
    for name in ("app.py", "VERSION", "collect_runtime.py"):
        shutil.copy(lessons.HELLO / name, repo / name)
    lessons.git(repo, "init", "-q", "-b", "main")
    lessons.git(repo, "add", ".")
    lessons.git(repo, "commit", "-qm", "my app")


def _client_pod(namespace: str, image: str) -> None:
    """lessons.client_pod's pod, waited for longer: on a loaded laptop a first start may take minutes."""
    kube.apply([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"},
                 "spec": {"terminationGracePeriodSeconds": 1,
                          "containers": [{"name": "client", "image": image,
                                          "command": ["/bin/python", "-c", "import time; time.sleep(86400)"]}]}}],
               namespace)
    kube.wait("pod/client", "condition=Ready", namespace=namespace, timeout=300)


def cicd_repo() -> Path:
    """The cicd lab's clone, where the learner commits (made by ``reset('cicd')``)."""
    return work_dir("cicd") / "hello"


def cicd_origin() -> Path:
    """The cicd lab's bare repository, playing GitHub: a push to its ``main`` runs the loop."""
    return work_dir("cicd") / "github" / "hello.git"


def _fill(path: Path, image: str) -> None:
    """The ``IMAGE`` placeholder of a work file replaced by the lab's image, so
    ``kubectl apply -f`` takes the file as it is."""
    text = path.read_text()
    path.write_text(re.sub(r"(image:\s*)IMAGE\b", rf"\g<1>{image}", text))


def reset(name: str, *, echo: bool = True) -> str:
    """Back to the starting state: the start files copied to ``labs/work/NAME``, a
    fresh namespace with the broken apps (and a client pod to test from), whatever
    else the lab starts from; the hints asked so far forgotten. Returns the app image.

    Twin: ``labctl reset NAME``
    """
    from .shell import run  # noqa: PLC0415

    lab = get(name)
    image = lab_image()
    if lab.namespace:
        # Up to 5 minutes: a namespace's pods go first, slowly on a loaded laptop.
        kube.delete_namespace(lab.namespace, wait=True, timeout=NAMESPACE_GONE)
    if lab.namespace and not lab.learner_makes_namespace:
        lessons.fresh_namespace(lab.namespace, lab=name)
    _forget(lab)
    start = lab.folder / "start"
    if start.is_dir():
        shutil.copytree(start, lab.work)
    else:
        lab.work.mkdir(parents=True)
    if not lab.extra.get("keep_placeholder"):
        for path in lab.work.rglob("*.yaml"):
            _fill(path, image)
    if lab.namespace and not lab.learner_makes_namespace:
        # A new namespace gets its default ServiceAccount a moment later; a pod made before is refused.
        waiting.poll(lambda: kube.get("ServiceAccount", "default", lab.namespace), timeout=60,
                     what=_("namespace {namespace}'s default ServiceAccount").format(namespace=lab.namespace))
    if lab.client:
        _client_pod(lab.namespace, image)
    for file in lab.deploy:
        # As the learner will: kubectl's own apply keeps the last-applied record, so the
        # learner's next `kubectl apply` of an edited file also removes deleted fields.
        run(["kubectl", "--context", kube.context_name(), "apply", "-f", str(lab.work / f"{file}.yaml"),
             "-n", lab.namespace])
    if lab.start:
        globals()[f"_start_{lab.start}"](lab, image)
    if echo:
        ready = (_("lab {name}: starting state ready in namespace {namespace}; your files: labs/work/{name}/")
                 if lab.namespace else _("lab {name}: starting state ready; your files: labs/work/{name}/"))
        print(ready.format(name=name, namespace=lab.namespace))
    return image


def _forget(lab: Lab) -> None:
    """The work folder and the hints and checks kept for it, gone."""
    shutil.rmtree(lab.work, ignore_errors=True)
    for kind in ("hints", "checked", "pushed"):
        _state(lab, kind).unlink(missing_ok=True)


def begin(name: str) -> str:
    """A lab notebook's first cell: the starting state, and the working folder set to the
    repository's root, so paths read as in the terminal (``labs/work/NAME/...``).
    Returns the app image."""
    from .shell import run  # noqa: PLC0415

    if run(["kubectl", "config", "current-context"], check=False).stdout.strip() != config.KIND_CONTEXT:
        run(["kubectl", "config", "use-context", config.KIND_CONTEXT])
    os.chdir(config.REPO_ROOT)
    return reset(name)


def cleanup(name: str) -> None:
    """Remove what the lab made: its namespace, its containers, its work folder.

    Twin: ``kubectl delete namespace NAME``; ``docker rm -f`` of the lab's containers.
    """
    lab = get(name)
    if lab.namespace:
        kube.delete_namespace(lab.namespace, wait=True, timeout=NAMESPACE_GONE)
    containers.cleanup(lab=name)
    if lab.name == "containers":
        containers.remove(CONTAINER)  # the learner's own `docker run` has no lab label
    _forget(lab)


def apply(name: str, exercise: str, folder: Path | None = None) -> list[str]:
    """Apply one exercise's file to the lab namespace: for instructors' demos. A learner
    runs ``kubectl apply -f labs/work/NAME/FILE.yaml -n lab-NAME``."""
    lab = get(name)
    if not lab.namespace or exercise not in lab.exercises:
        raise LabError(_("lab {lab} has no exercise {exercise!r} to apply").format(lab=name, exercise=exercise),
                       hint=_("its exercises: {exercises}").format(exercises=", ".join(lab.exercises)))
    path = (folder or lab.work) / f"{exercise}.yaml"
    return kube.apply(manifests.fill_placeholder(path, lab_image()), lab.namespace, lab=name)


# --- checks ---------------------------------------------------------------------------------------

class LabReport(checks.Report):
    """A lab's results, each named ``exercise: what is checked``; the end says how to ask for a hint."""

    def __init__(self, lab: str, results: list[tuple[str, checks.CheckResult]]):
        super().__init__(r for _, r in results)
        self.lab = lab
        self.exercises = [ex for ex, _ in results]

    def failing(self) -> list[str]:
        return list(dict.fromkeys(ex for ex, r in zip(self.exercises, self) if not r.ok))

    def _footer(self) -> str:
        failing = self.failing()
        if not failing:
            return _("lab {lab}: every exercise passes").format(lab=self.lab)
        return (_("stuck? labctl hint {lab} {exercise}  (each call, the next level: {levels})")
                .format(lab=self.lab, exercise=failing[0], levels=", ".join(_(level) for level in HINT_LEVELS)))

    def __str__(self) -> str:
        return super().__str__() + "\n" + self._footer()

    def _repr_html_(self) -> str:
        return super()._repr_html_() + f"<div style='color:#6e7781'>{html.escape(self._footer())}</div>"


def _call(lab: Lab, chk: Check) -> checks.CheckResult:
    fn = getattr(checks, chk.function)
    args = {}
    for key, value in chk.args.items():
        if isinstance(value, str) and value.startswith("work/"):
            value = lab.work / value[len("work/"):]
        elif value == "@pushed":
            value = pipeline_pushed()
        args[key] = value
    if "namespace" in inspect.signature(fn).parameters and "namespace" not in args:
        args["namespace"] = lab.namespace
    result = fn(**args)
    # The symptom only: the fix is the hints' job, given on request.
    return dataclasses.replace(result, fix="")


def _run(lab: Lab, *, heavy: bool = True) -> list[tuple[str, checks.CheckResult, Check]]:
    out = []
    for ex in lab.exercises_:
        for chk in ex.checks:
            if chk.heavy and not heavy:
                continue
            try:
                result = _call(lab, chk)
            except LabError as err:
                result = checks.CheckResult(chk.function, False, err.what)
            except Exception as err:  # noqa: BLE001 - a state the check did not foresee (a pod mid-start): still a FAIL
                result = checks.CheckResult(chk.function, False, _("could not check: {kind}: {message}").format(
                    kind=type(err).__name__, message=str(err).splitlines()[0][:100] if str(err) else ""), pending=True)
            result = dataclasses.replace(result, name=f"{ex.name}: {result.name}")
            out.append((ex.name, result, chk))
    return out


def check(name: str) -> LabReport:
    """Every exercise's checks on the real state; the heavy ones' results are kept for
    ``progress``. Twin: ``labctl check NAME``"""
    lab = get(name)
    results = _run(lab)
    _remember(lab, results)
    return LabReport(name, [(ex, r) for ex, r, _ in results])


def settle(name: str, timeout: float = 300, quiet: float = 20) -> LabReport:
    """Wait until the lab's state stops changing (pods crashed, probes failed, pulls
    backed off, the HPA re-evaluated), so the report shows the lasting state: the
    light checks must stay the same for ``quiet`` seconds; then every check runs once."""
    lab = get(name)
    state = {"key": None, "since": 0.0}

    def steady():
        import time  # noqa: PLC0415

        results = _run(lab, heavy=False)
        key = [(r.name, r.ok, "" if r.ok else r.seen) for _, r, _ in results]
        now = time.monotonic()
        if key != state["key"] or any(r.pending for _, r, _ in results):
            state["key"], state["since"] = key, now
            return None
        return True if now - state["since"] >= quiet else None

    try:
        waiting.poll(steady, timeout=timeout, what=f"lab {name}'s state to settle", interval=3)
    except WaitTimedOut:
        pass  # still changing: the report below shows the state as it is
    return check(name)


def _state(lab: Lab, kind: str) -> Path:
    """Where a lab keeps what the learner asked and checked: beside its work folder, not in
    it, so `kubectl apply -f labs/work/NAME/` reads only the learner's manifests."""
    return WORK_DIR / f".{lab.name}.{kind}.json"


def _remember(lab: Lab, results) -> None:
    if not lab.work.is_dir():
        return
    kept = {f"{ex}/{chk.function}": {"ok": r.ok, "seen": r.seen} for ex, r, chk in results if chk.heavy}
    path = _state(lab, "checked")
    old = json.loads(path.read_text()) if path.is_file() else {}
    path.write_text(json.dumps({**old, **kept}, indent=1))


# --- hints ----------------------------------------------------------------------------------------

class Hint(str):
    """A hint's text; shows as itself (not quoted) in a notebook."""

    def __repr__(self) -> str:
        return str(self)


def hint(name: str, exercise: str, level: int | None = None) -> Hint:
    """A hint for one exercise: level 1 where to look, 2 what is wrong, 3 the fix.
    Without ``level``, the next one after the last asked (1, 2, 3, then 3 again).

    Twin: ``labctl hint NAME EXERCISE [LEVEL]``
    """
    lab = get(name)
    ex = lab.exercise(exercise)
    state_file = _state(lab, "hints")
    asked = json.loads(state_file.read_text()) if state_file.is_file() else {}
    if level is None:
        level = min(asked.get(exercise, 0) + 1, 3)
    if level not in (1, 2, 3):
        raise LabError(_("no hint level {level}").format(level=level),
                       hint=_("levels: 1 {one}, 2 {two}, 3 {three}").format(
                           one=_(HINT_LEVELS[0]), two=_(HINT_LEVELS[1]), three=_(HINT_LEVELS[2])))
    if lab.work.is_dir():
        asked[exercise] = max(asked.get(exercise, 0), level)
        state_file.write_text(json.dumps(asked))
    # The hint's text is a message of the catalog too (babel.cfg extracts lab.yaml's hints).
    return Hint(_("{lab}/{exercise} hint {level}/3 ({level_name}): {text}").format(
        lab=name, exercise=exercise, level=level, level_name=_(HINT_LEVELS[level - 1]),
        text=_(ex.hints[level - 1]).strip()))


# --- progress -------------------------------------------------------------------------------------

@dataclass
class Progress:
    """Every lab's exercises, passed or not, as the live cluster shows them."""

    rows: list[tuple[str, str, str, str]]  # lab, exercise, status, what was seen

    def __str__(self) -> str:
        heads = _("LAB/EXERCISE"), _("STATUS"), _("SEEN")
        rows = [(f"{lab}/{ex}", _(status), seen) for lab, ex, status, seen in self.rows]
        # padded by screen columns: a Hangul header or status takes two per character
        width = max(screen_width(first) for first, _status, _seen in [heads, *rows])
        status_width = max(11, *(screen_width(status) for _first, status, _seen in [heads, *rows]))
        lines = [f"{pad(first, width)}  {pad(status, status_width)}  {seen}" for first, status, seen in [heads, *rows]]
        done = sum(status == "PASS" for _lab, _ex, status, _seen in self.rows)
        lines.append(_("{done}/{total} exercises pass").format(done=done, total=len(self.rows)))
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour = {"PASS": "#1a7f37", "FAIL": "#cf222e"}
        body = "".join(
            f"<tr><td>{html.escape(lab)}</td><td>{html.escape(ex)}</td>"
            f"<td style='color:{colour.get(status, '#6e7781')}'><b>{html.escape(_(status))}</b></td>"
            f"<td>{html.escape(seen)}</td></tr>"
            for lab, ex, status, seen in self.rows)
        done = sum(status == "PASS" for _lab, _ex, status, _seen in self.rows)
        head = "".join(f"<th>{html.escape(h)}</th>" for h in (_("lab"), _("exercise"), _("status"), _("seen")))
        footer = _("{done}/{total} exercises pass").format(done=done, total=len(self.rows))
        return f"<table><tr>{head}</tr>{body}</table><p>{html.escape(footer)}</p>"


def progress(names: list[str] | None = None) -> Progress:
    """One row per exercise of every lab: PASS or FAIL from the live state; ``not started``
    for a lab never reset; a heavy check (a build, a load) shows its last result.

    Twin: ``labctl progress``
    """
    rows = []
    for name in names or list(LABS):
        lab = get(name)
        if not lab.work.is_dir():
            rows += [(name, ex, N_("not started"), f"labctl reset {name}") for ex in lab.exercises]
            continue
        kept_file = _state(lab, "checked")
        kept = json.loads(kept_file.read_text()) if kept_file.is_file() else {}
        results: dict[str, list[tuple[bool | None, str]]] = {ex: [] for ex in lab.exercises}
        for ex, r, _chk in _run(lab, heavy=False):
            results[ex].append((r.ok, r.seen))
        for ex in lab.exercises_:
            for chk in ex.checks:
                if chk.heavy:
                    last = kept.get(f"{ex.name}/{chk.function}")
                    results[ex.name].append((last["ok"], _("last check: {seen}").format(seen=last["seen"])) if last
                                            else (None, _("not checked yet: labctl check {name}").format(name=name)))
        for ex, found in results.items():
            failed = [seen for ok, seen in found if ok is False]
            unknown = [seen for ok, seen in found if ok is None]
            status = "FAIL" if failed else N_("unchecked") if unknown else "PASS"  # shown with _()
            seen = (failed or unknown or [found[-1][1] if found else ""])[0]
            rows.append((name, ex, status, seen[:90]))
    return Progress(rows)


# --- student notebooks ----------------------------------------------------------------------------

def instructor_path(name: str) -> Path:
    return LABS_DIR / name / "instructor.ipynb"


def student_path(name: str) -> Path:
    return LABS_DIR / f"{name}.ipynb"


def _strip_solution(source: str, name: str) -> str:
    """A cell's source with each BEGIN/END SOLUTION region replaced by the 'your turn' note."""
    out, inside = [], False
    for line in source.splitlines():
        if line.strip() == BEGIN:
            inside = True
            out.append(YOUR_TURN.format(name=name))
        elif line.strip() == END:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def student_notebook(name: str) -> dict:
    """The student copy of a lab's instructor notebook: solution regions replaced by a
    'your turn' note, cells tagged ``solution`` (asserts on the solved state, instructor
    notes) left out. Outputs of the committed student copy are kept where its cell's
    source is the same (they come from running the student copy itself)."""
    nb = json.loads(instructor_path(name).read_text())
    committed = json.loads(student_path(name).read_text()) if student_path(name).is_file() else {"cells": []}
    kept = {}
    for c in committed["cells"]:
        kept.setdefault(("".join(c["source"]), c["cell_type"]), c)
    cells = []
    for cell in nb["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if "solution" in tags:
            continue
        source = "".join(cell["source"])
        meta = {k: v for k, v in cell.get("metadata", {}).items() if k not in ("execution",)}
        if BEGIN in source:
            source = _strip_solution(source, name)
            meta = {"tags": ["your-turn"]}
        new = {"cell_type": cell["cell_type"], "metadata": meta, "source": source}
        if cell["cell_type"] == "code":
            old = kept.get((source, "code"))
            new["execution_count"] = old.get("execution_count") if old else None
            new["outputs"] = old.get("outputs", []) if old else []
            if old and "execution" in old.get("metadata", {}):
                new["metadata"] = {**meta, "execution": old["metadata"]["execution"]}
        new["source"] = source.splitlines(keepends=True)
        if "id" in cell:
            new["id"] = cell["id"]
        cells.append(new)
    out = copy.deepcopy(nb)
    out["cells"] = cells
    return out


def write_student(name: str) -> Path:
    path = student_path(name)
    path.write_text(json.dumps(student_notebook(name), indent=1, ensure_ascii=False) + "\n")
    return path


def sources(nb: dict) -> list[tuple[str, str, list]]:
    """What a generated notebook must equal the committed one in: each cell's type,
    source and tags (outputs come from running it)."""
    return [(c["cell_type"], "".join(c["source"]), c.get("metadata", {}).get("tags", [])) for c in nb["cells"]]


if __name__ == "__main__":  # python -m helpers.labs [NAME...]: regenerate the student notebooks
    import sys

    for lab_name in sys.argv[1:] or LABS:
        print(write_student(lab_name))
