"""Each lesson has the shape ../shared/LESSONS.md asks for, and the course as a
whole runs every command a learner must know, on screen.

These read the notebooks' sources only; nbval runs them for real.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import show

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted(p for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb") if not p.name.endswith(".ko.ipynb"))
NUMBER = re.compile(r"^(\d\d)-")

# Helpers that would stand in for a command the learner should run.
STAND_INS = ("kube.apply(", "kube.delete(", "kube.logs(", "kube.exec_(", "kube.scale(", "kube.rollout_undo(",
             "lessons.lesson_docs(", "kube.port_forward(")

# Every command the course must run on screen (issue 11), as a pattern over the
# command lines of all lessons together.
COURSE_COMMANDS = {
    "docker build": r"^docker (image )?build\b", "docker images": r"^docker (images|image ls)\b",
    "docker history": r"^docker (image )?history\b", "docker run": r"^docker (container )?run\b",
    "docker ps": r"^docker (ps|container ls)\b", "docker logs": r"^docker (container )?logs\b",
    "docker exec": r"^docker (container )?exec\b", "docker inspect": r"^docker (\w+ )?inspect\b",
    "docker push": r"^docker (image )?push\b",
    "kubectl get -o wide": r"^kubectl get\b.*-o wide", "kubectl get -o yaml": r"^kubectl get\b.*-o yaml",
    "kubectl get -l": r"^kubectl get\b.*(-l |--selector)", "kubectl get --show-labels": r"^kubectl get\b.*--show-labels",
    "kubectl get -w": r"^kubectl get\b.*(-w\b|--watch)", "kubectl describe": r"^kubectl describe\b",
    "kubectl apply -f": r"^kubectl apply\b.*-f ", "kubectl delete": r"^kubectl delete\b",
    "kubectl logs": r"^kubectl logs\b", "kubectl exec": r"^kubectl exec\b", "kubectl scale": r"^kubectl scale\b",
    "kubectl rollout status": r"^kubectl rollout status\b", "kubectl rollout history": r"^kubectl rollout history\b",
    "kubectl rollout undo": r"^kubectl rollout undo\b", "kubectl explain": r"^kubectl explain\b",
    "kubectl create --dry-run": r"^kubectl create\b.*--dry-run=client -o yaml",
    "kubectl get events": r"^kubectl (get events|events)\b", "kubectl get endpointslices": r"^kubectl get (endpointslices?|eps)\b",
    "kubectl top": r"^kubectl top\b", "kubectl port-forward": r"^kubectl port-forward\b",
    "kubectl config get-contexts": r"^kubectl config get-contexts\b",
}


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _src(cell: dict) -> str:
    return "".join(cell["source"])


def commands(path: Path) -> list[str]:
    """The shell command lines a lesson runs: ``!cmd`` lines and the lines of ``%%bash`` cells."""
    found = []
    for cell in _cells(path):
        if cell["cell_type"] != "code":
            continue
        lines = _src(cell).splitlines()
        if lines and lines[0].startswith("%%bash"):
            found += [ln.strip() for ln in lines[1:] if ln.strip() and not ln.strip().startswith("#")]
        else:
            found += [ln.strip()[1:].strip() for ln in lines if ln.strip().startswith("!")]
    # One logical command per entry: "a && b", "a; b" and "a | b" name two.
    return [part.strip() for line in found for part in re.split(r"&&|;|\|", line) if part.strip()]


def _markdown(path: Path) -> list[str]:
    return [_src(c) for c in _cells(path) if c["cell_type"] == "markdown"]


def _section(path: Path, heading: str) -> str | None:
    for text in _markdown(path):
        if re.search(rf"^## {heading}\b", text, re.M):
            return text
    return None


def _number(path: Path) -> str:
    return NUMBER.match(path.name).group(1)


def test_there_are_nine_lessons():
    assert [_number(p) for p in LESSONS] == [f"{i:02d}" for i in range(9)]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_opening(path):
    first = _markdown(path)[0]
    assert first.startswith(f"# {_number(path)} · "), "the first cell is the title: '# NN · Title'"
    block = re.search(r"You will be able to[^\n]*\n((?:- [^\n]+\n?)+)", first)
    assert block, "objectives: 'You will be able to:' and a list"
    assert 3 <= len(block.group(1).strip().splitlines()) <= 5, "3 to 5 objectives"
    assert re.search(r"\*\*Time:\*\*", first) and re.search(r"\*\*Prerequisites:\*\*", first)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_closing(path):
    recap = _section(path, "Recap")
    assert recap and len(re.findall(r"^- ", recap, re.M)) >= 3, "a recap of at least three bullets"
    assert _section(path, "Krampoline"), "the Krampoline row for this lesson"
    assert _section(path, "Self-check"), "a self-check quiz section"
    nxt = _section(path, "Next")
    assert nxt and "labs/" in nxt, "Next names the lesson's lab"
    number = _number(path)
    calls = [_src(c) for c in _cells(path) if c["cell_type"] == "code" and f'quiz("{number}")' in _src(c)]
    assert calls, f'a cell runs quiz("{number}")'
    questions = show.load_quiz(number)
    assert 3 <= len(questions) <= 5 and all(q["why"].strip() for q in questions)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_commands_not_helpers(path):
    text = "\n".join(_src(c) for c in _cells(path))
    assert "Twin:" not in text, "commands run on screen, not as 'Twin:' strings"
    for cell in _cells(path):
        src = _src(cell)
        if cell["cell_type"] != "code":
            continue
        for stand_in in STAND_INS:
            assert stand_in not in src, f"{stand_in} stands in for the kubectl command the learner should run"
        hidden = cell.get("metadata", {}).get("jupyter", {}).get("source_hidden")
        if re.search(r"^\s*assert\b", src, re.M):
            assert hidden, f"an assert sits in a cell the learner reads (make it source_hidden):\n{src[:200]}"
    assert commands(path), "the lesson runs docker or kubectl commands on screen"


@pytest.mark.parametrize("path", [p for p in LESSONS if _number(p) >= "03"], ids=lambda p: p.stem)
def test_manifests_shown_then_applied(path):
    number = _number(path)
    folder = ROOT / "k8s" / "lessons" / number
    assert folder.is_dir(), f"the lesson's manifests live in k8s/lessons/{number}/"
    shown: list[str] = []
    for cell in _cells(path):
        src = _src(cell)
        shown += re.findall(r"show_file\(\s*[\"']\.\./(k8s/lessons/[^\"']+)[\"']", src)
        for cmd in commands_in(src):
            for target in re.findall(r"-f\s+\.\./(k8s/lessons/\S+)", cmd):
                if cmd.startswith("kubectl apply"):
                    assert target in shown or any(s.startswith(target.rstrip("/") + "/") for s in shown), \
                        f"{target} is applied before the lesson shows it"
    files = {str(f.relative_to(ROOT)) for f in folder.rglob("*.yaml")}
    assert files, f"k8s/lessons/{number}/ holds the lesson's manifests"
    assert files <= set(shown), f"manifests never shown: {sorted(files - set(shown))}"
    cmds = commands(path)
    assert any("--dry-run=client -o yaml" in c for c in cmds), "write it yourself: start from --dry-run=client -o yaml"
    assert any(c.startswith("kubectl explain") for c in cmds), "write it yourself: look fields up with kubectl explain"


def commands_in(src: str) -> list[str]:
    lines = src.splitlines()
    if lines and lines[0].startswith("%%bash"):
        return [ln.strip() for ln in lines[1:]]
    return [ln.strip()[1:].strip() for ln in lines if ln.strip().startswith("!")]


def test_course_runs_every_command():
    every = [c for p in LESSONS for c in commands(p)]
    absent = [name for name, pattern in COURSE_COMMANDS.items() if not any(re.search(pattern, c) for c in every)]
    assert not absent, f"commands no lesson runs on screen: {absent}"


def test_quiz_text_hides_answers():
    questions = [{"q": "What runs containers?", "options": ["a pod", "a label"], "answer": 0, "why": "Pods run them."}]
    text = show.quiz_text(questions)
    assert "a) a pod" in text and "Pods run them" not in text
    assert "Pods run them" in show.answers_text(questions)
