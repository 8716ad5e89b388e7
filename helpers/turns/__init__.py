"""The lessons' "Your turn" checks: each reads the real cluster (or Docker, or a
file the learner wrote) and reports what it sees, the symptom, never the fix.

A lesson's check cell runs ``turns.check("03", "pod-label")``; a terminal runs
``labctl turn 03 pod-label``. Lesson NN's tasks live in ``helpers/turns/lNN.py``,
each registered with ``@task("NN", name)`` and returning a ``checks.CheckResult``;
a lesson's module is imported when one of its tasks is first asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from ..checks import CheckResult
from ..errors import LabError
from ..i18n import _

_TASKS: dict[tuple[str, str], Callable[[], CheckResult]] = {}


def task(lesson: str, name: str):
    """Register a lesson's task check under (lesson, name)."""
    def register(fn: Callable[[], CheckResult]) -> Callable[[], CheckResult]:
        _TASKS[(lesson, name)] = fn
        return fn
    return register


def _load(lesson: str) -> None:
    try:
        importlib.import_module(f"{__name__}.l{lesson}")
    except ModuleNotFoundError as err:
        if err.name != f"{__name__}.l{lesson}":
            raise


def tasks(lesson: str) -> list[str]:
    """The names of a lesson's tasks."""
    _load(lesson)
    return sorted(n for le, n in _TASKS if le == lesson)


def check(lesson: str, name: str) -> CheckResult:
    """Run one task's check against the real state."""
    _load(lesson)
    fn = _TASKS.get((lesson, name))
    if fn is None:
        known = ", ".join(tasks(lesson)) or _("none")
        raise LabError(_("lesson {lesson} has no task {name!r} (its tasks: {tasks})").format(
                       lesson=lesson, name=name, tasks=known),
                       _("use the name the lesson's check cell gives"))
    return fn()


def field(obj: dict | None, path: str) -> Any:
    """``obj``'s value at a dotted path (``spec.template.spec.containers.0.image``), or None."""
    value: Any = obj
    for part in path.split("."):
        if isinstance(value, list):
            value = value[int(part)] if part.isdigit() and int(part) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def missing(kind: str, name: str, namespace: str, title: str) -> CheckResult:
    """The result when the object is not there at all."""
    return CheckResult(title, False, _("no {object} in namespace {namespace} yet").format(
        object=f"{kind.lower()}/{name}", namespace=namespace))

