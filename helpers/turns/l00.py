"""Lesson 00's "Your turn": the learner reads the node's kubelet version and
container runtime with kubectl and writes them into a file; the check compares
that file with what the node itself reports."""

from __future__ import annotations

from pathlib import Path

from .. import config, kube
from ..checks import CheckResult
from ..i18n import _
from . import task

# The learner's answer lives in the git-ignored work folder, never in the lesson.
ANSWER = config.REPO_ROOT / "labs" / "work" / "lesson-00" / "answer.txt"


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(config.REPO_ROOT))
    except ValueError:
        return str(path)


@task("00", "node-facts")
def node_facts(path: Path | None = None) -> CheckResult:
    """answer.txt holds the kubelet version and the container runtime of a node of the lab cluster."""
    path = Path(path or ANSWER)
    title = _("{file} names the node's kubelet version and container runtime").format(file=_shown(path))
    if not path.is_file():
        return CheckResult(title, False, _("there is no file {path} yet").format(path=_shown(path)))
    text = path.read_text().strip()
    if not text:
        return CheckResult(title, False, _("the file is empty"))
    # Words as kubectl prints them; a comma or quotes around a value do not make it wrong.
    words = {w.strip(",;'\"`") for w in text.split()}
    nodes = [n["status"]["nodeInfo"] for n in kube.get("node", None, None) or []]
    for info in nodes:
        kubelet, runtime = info["kubeletVersion"], info["containerRuntimeVersion"]
        if kubelet in words and runtime in words:
            return CheckResult(title, True, _("{kubelet} and {runtime}, as the node reports them").format(
                kubelet=kubelet, runtime=runtime))
    quoted = text if len(text) <= 60 else text[:57] + "..."
    kubelet_ok = any(i["kubeletVersion"] in words for i in nodes)
    runtime_ok = any(i["containerRuntimeVersion"] in words for i in nodes)
    if kubelet_ok:
        return CheckResult(title, False, _("it holds {text!r}: the kubelet version is there, "
                                           "but no word is the container runtime as the node reports it")
                           .format(text=quoted))
    if runtime_ok:
        return CheckResult(title, False, _("it holds {text!r}: the container runtime is there, "
                                           "but no word is the node's kubelet version").format(text=quoted))
    return CheckResult(title, False, _("it holds {text!r}: no word in it is the node's kubelet version "
                                       "or its container runtime").format(text=quoted))
