"""What a lesson page shows besides commands and their output: a file from the
repository, highlighted, and the lesson's self-check quiz.

Both print as plain text outside JupyterLab (and that text is what nbval
compares), so a lesson reads the same in a terminal.
"""

from __future__ import annotations

import html
from pathlib import Path

import yaml

from . import config
from .errors import LabError
from .i18n import _
from .progress import in_notebook

QUIZ_DIR = config.REPO_ROOT / "notebooks" / "quizzes"


class _File:
    """A file as text (its ``repr``) and as highlighted HTML in JupyterLab."""

    def __init__(self, path: Path, shown: str, language: str):
        self.path, self.shown, self.language = path, shown, language
        self.text = path.read_text()

    def __repr__(self) -> str:
        return f"# {self.shown}\n{self.text.rstrip()}"

    def _repr_html_(self) -> str:
        from pygments import highlight  # noqa: PLC0415
        from pygments.formatters import HtmlFormatter  # noqa: PLC0415
        from pygments.lexers import get_lexer_by_name  # noqa: PLC0415

        body = highlight(self.text, get_lexer_by_name(self.language), HtmlFormatter(noclasses=True, linenos="inline"))
        return f"<div><b><code>{html.escape(self.shown)}</code></b>{body}</div>"


def show_file(path: str | Path, language: str | None = None) -> _File:
    """Show a file (a manifest, a Dockerfile) with line numbers and colours.

    ``path`` is as the learner would type it from the notebook's folder
    (``../k8s/lessons/03/pod.yaml``); the title names it that way too.
    """
    target = Path(path)
    if not target.is_absolute():
        target = (Path.cwd() / target)
    if not target.is_file():
        raise LabError(_("no file {path} (looked in {folder})").format(path=path, folder=target.parent),
                       _("run the notebook from its folder (JupyterLab does), or give a path from there"))
    if language is None:
        language = {".yaml": "yaml", ".yml": "yaml", ".py": "python", ".sh": "bash", ".java": "java",
                    ".xml": "xml", ".toml": "toml", ".json": "json"}.get(target.suffix, "docker"
                                                                         if target.name.startswith("Dockerfile")
                                                                         else "text")
    return _File(target, str(path), language)


def load_quiz(lesson: str) -> list[dict]:
    """The questions of ``notebooks/quizzes/<lesson>.yaml``: each has q, options, answer (index), why."""
    path = QUIZ_DIR / f"{lesson}.yaml"
    if not path.is_file():
        raise LabError(_("no quiz for lesson {lesson} ({path})").format(lesson=lesson, path=path),
                       "add notebooks/quizzes/<lesson>.yaml")
    questions = yaml.safe_load(path.read_text()) or []
    for i, q in enumerate(questions, 1):
        missing = {"q", "options", "answer", "why"} - set(q)
        if missing:
            raise LabError(f"quiz {lesson} question {i} lacks {', '.join(sorted(missing))}",
                           "each question needs q, options, answer (0-based) and why")
        if not 0 <= q["answer"] < len(q["options"]):
            raise LabError(f"quiz {lesson} question {i}: answer {q['answer']} is not one of its options",
                           "answer is the 0-based index of the right option")
    return questions


def quiz_text(questions: list[dict]) -> str:
    """The quiz as text: questions and options, no answers (they come on choosing).
    The questions' texts are messages of the catalog (babel.cfg extracts the quiz files)."""
    lines = []
    for i, q in enumerate(questions, 1):
        lines.append(f"{i}. {_(q['q'])}")
        lines += [f"   {chr(97 + j)}) {_(opt)}" for j, opt in enumerate(q["options"])]
    lines.append(_("(In JupyterLab, pick an answer to see whether it is right and why; "
                   "in a terminal: labctl quiz LESSON --answers.)"))
    return "\n".join(lines)


def answers_text(questions: list[dict]) -> str:
    return "\n".join(f"{i}. {chr(97 + q['answer'])}) {_(q['options'][q['answer']])} — {_(q['why'])}"
                     for i, q in enumerate(questions, 1))


class _Quiz:
    def __init__(self, lesson: str, questions: list[dict]):
        self.lesson, self.questions = lesson, questions

    def __repr__(self) -> str:
        return quiz_text(self.questions)

    def _repr_mimebundle_(self, include=None, exclude=None):
        if not in_notebook():
            return {"text/plain": repr(self)}
        import ipywidgets as widgets  # noqa: PLC0415

        boxes = []
        for i, q in enumerate(self.questions, 1):
            choice = widgets.RadioButtons(options=[(_(o), j) for j, o in enumerate(q["options"])], value=None,
                                          layout={"width": "max-content"})
            verdict = widgets.HTML()

            def judge(change, q=q, verdict=verdict):
                if change["new"] is None:
                    return
                right = change["new"] == q["answer"]
                colour = "#1a7f37" if right else "#cf222e"
                word = _("Right.") if right else _("Not quite.")
                verdict.value = (f"<span style='color:{colour}'><b>{html.escape(word)}</b></span> "
                                 f"{html.escape(_(q['why']))}")

            choice.observe(judge, names="value")
            boxes.append(widgets.VBox([widgets.HTML(f"<b>{i}.</b> {html.escape(_(q['q']))}"), choice, verdict]))
        bundle = widgets.VBox(boxes)._repr_mimebundle_() or {}
        bundle["text/plain"] = repr(self)
        return bundle


def quiz(lesson: str) -> _Quiz:
    """The lesson's self-check quiz: in JupyterLab each answer, once chosen, says right or not and why."""
    return _Quiz(lesson, load_quiz(lesson))
