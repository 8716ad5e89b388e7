"""Labs, without a cluster: each lab is one folder (lab.yaml, start/, solution/,
instructor.ipynb); the student notebook is generated from the instructor's and
committed; it gives no answer away (no level-2/3 hint, no solution); hints come in
order; every check a lab names exists; the saved outputs show the start state
failing every exercise (student) and the solution passing it (instructor)."""

from __future__ import annotations

import inspect
import json
import re

import pytest

from helpers import checks, config, labs

NAMES = list(labs.LABS)


def _text(nb: dict) -> str:
    """Everything a learner can read in a notebook: sources and saved outputs."""
    parts = []
    for c in nb["cells"]:
        parts.append("".join(c["source"]))
        for o in c.get("outputs", []):
            parts.append("".join(o.get("text", "")))
            for value in (o.get("data") or {}).values():
                parts.append("".join(value) if isinstance(value, list) else str(value))
    return "\n".join(parts)


def _check_outputs(nb: dict) -> list[str]:
    """The text outputs of the cells that run a lab's check, in order."""
    found = []
    for c in nb["cells"]:
        src = "".join(c["source"])
        if c["cell_type"] == "code" and re.search(r"labs\.(check|settle)\(", src):
            found.append("".join("".join(o.get("text", "")) + "".join((o.get("data") or {}).get("text/plain", ""))
                                 for o in c.get("outputs", [])))
    return found


def test_every_lesson_has_a_lab_and_every_lab_a_whole_folder():
    lessons = {p.name[:2] for p in (config.REPO_ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")}
    assert lessons <= {lab.after for lab in labs.LABS.values()}, "a lesson without its lab"
    assert "capstone" in labs.LABS
    for name, lab in labs.LABS.items():
        assert len(lab.exercises) >= 2, name
        assert labs.instructor_path(name).is_file() and labs.student_path(name).is_file(), name
        assert (lab.folder / "solution").is_dir() or name in ("containers", "cicd"), f"{name}: no solution files"
        for file in lab.deploy:
            assert (lab.folder / "start" / f"{file}.yaml").is_file(), (name, file)
            assert (lab.folder / "solution" / f"{file}.yaml").is_file(), (name, file)
        assert lab.namespace in ("", f"lab-{name}"), f"{name}: lab namespaces are lab-NAME"
    assert not (labs.LABS_DIR / "solutions").exists(), "solutions live in each lab's folder now"


@pytest.mark.parametrize("name", NAMES)
def test_every_check_a_lab_names_exists_with_those_arguments(name):
    for ex in labs.get(name).exercises_:
        assert ex.checks, (name, ex.name)
        for chk in ex.checks:
            fn = getattr(checks, chk.function, None)
            assert callable(fn), f"{name}/{ex.name}: no check {chk.function}"
            params = inspect.signature(fn).parameters
            assert set(chk.args) <= set(params), (name, ex.name, chk.function, set(chk.args) - set(params))


@pytest.mark.parametrize("name", NAMES)
def test_hints_are_three_levels_and_come_in_order(name, tmp_path, monkeypatch):
    monkeypatch.setattr(labs, "WORK_DIR", tmp_path)
    lab = labs.get(name)
    lab.work.mkdir()
    for ex in lab.exercises_:
        assert len(set(ex.hints)) == 3 and all(h.strip() for h in ex.hints), (name, ex.name)
        given = [labs.hint(name, ex.name) for _ in range(4)]
        for level, text in enumerate(given[:3], 1):
            assert text.startswith(f"{name}/{ex.name} hint {level}/3 ({labs.HINT_LEVELS[level - 1]})"), text
            assert ex.hints[level - 1].strip() in text
        assert given[3] == given[2], "after the fix, the fix again"
        assert ex.hints[0].strip() in labs.hint(name, ex.name, 1), "a level asked for by number"


@pytest.mark.parametrize("name", NAMES)
def test_the_generated_student_notebook_is_the_committed_one(name):
    committed = json.loads(labs.student_path(name).read_text())
    assert labs.sources(labs.student_notebook(name)) == labs.sources(committed), \
        f"labs/{name}.ipynb differs from its instructor notebook: python -m helpers.labs {name}, then run it"
    assert committed["metadata"]["kernelspec"] == {"name": "python3", "display_name": "Python 3 (kubelab)",
                                                   "language": "python"}


@pytest.mark.parametrize("name", NAMES)
def test_the_student_notebook_gives_no_answer_away(name):
    lab = labs.get(name)
    student = json.loads(labs.student_path(name).read_text())
    text = _text(student)
    for ex in lab.exercises_:
        for level in (2, 3):
            assert ex.hints[level - 1].strip() not in text, f"{name}/{ex.name}: hint {level} in the student copy"
        for answer in ex.answers:
            assert answer not in text, f"{name}/{ex.name}: the answer {answer!r} in the student copy"
    assert labs.BEGIN not in text and labs.END not in text
    assert f"labs/{name}/solution" not in text and "instructor.ipynb" not in text
    assert not re.search(r"(?<![a-z])fix:", text), "a check printed a fix"  # (not "breakfix:")
    # The learner acts with kubectl/docker: no helper applies or starts things for them.
    code = "\n".join("".join(c["source"]) for c in student["cells"] if c["cell_type"] == "code")
    assert not re.search(r"labs\.apply|kube\.apply|containers\.start|images\.(build|push)\(", code), name
    assert "your-turn" in [t for c in student["cells"] for t in c.get("metadata", {}).get("tags", [])]


@pytest.mark.parametrize("name", NAMES)
def test_the_instructor_notebook_marks_its_solution_and_asserts_it(name):
    nb = json.loads(labs.instructor_path(name).read_text())
    sources = ["".join(c["source"]) for c in nb["cells"]]
    assert any(labs.BEGIN in s and labs.END in s for s in sources), name
    hidden = [c for c in nb["cells"] if "solution" in c.get("metadata", {}).get("tags", [])
              and c.get("metadata", {}).get("jupyter", {}).get("source_hidden")]
    assert any("assert report.ok" in "".join(c["source"]) for c in hidden), name


@pytest.mark.parametrize("name", NAMES)
def test_saved_outputs_start_failing_every_exercise_and_the_solution_passing_it(name):
    """The committed outputs come from real runs: the student copy's checks (start
    state) fail every exercise; the instructor copy's last check passes every one."""
    lab = labs.get(name)
    student = _check_outputs(json.loads(labs.student_path(name).read_text()))
    instructor = _check_outputs(json.loads(labs.instructor_path(name).read_text()))
    assert student and instructor, name
    for ex in lab.exercises:
        assert re.search(rf"^\[FAIL\] {ex}: ", student[0], re.M), f"{name}/{ex}: the start state does not fail it"
        assert re.search(rf"^\[FAIL\] {ex}: ", student[-1], re.M), f"{name}/{ex}"
        assert re.search(rf"^\[PASS\] {ex}: ", instructor[-1], re.M), f"{name}/{ex}: the solution does not pass"
        assert not re.search(rf"^\[FAIL\] {ex}: ", instructor[-1], re.M), f"{name}/{ex}: the solution fails"
    assert "stuck? labctl hint" in student[0]


def test_student_generation_replaces_solution_regions_and_drops_solution_cells():
    assert labs._strip_solution(f"x = 1\n{labs.BEGIN}\n!secret\n{labs.END}\nprint(x)", "demo").splitlines() == \
        ["x = 1", *labs.YOUR_TURN.format(name="demo").splitlines(), "print(x)"]


def test_check_result_keeps_its_constructor_and_a_lab_report_ends_with_the_hint_command():
    r = checks.CheckResult("n", False, "seen", fix="f", ok_word="PASS", pending=True)
    assert (r.name, r.ok, r.seen, r.fix, r.ok_word, r.pending) == ("n", False, "seen", "f", "PASS", True)
    report = labs.LabReport("breakfix", [("crash", checks.CheckResult("crash: deployment/crash is Ready", False, "x")),
                                         ("ready", checks.CheckResult("ready: deployment/ready is Ready", True, "y"))])
    assert not report.ok and report.failing() == ["crash"]
    assert str(report).splitlines()[-1].startswith("stuck? labctl hint breakfix crash")
    assert "stuck? labctl hint breakfix crash" in report._repr_html_()


def test_progress_renders_as_a_text_and_an_html_table():
    table = labs.Progress([("pods", "pod", "PASS", "Running"), ("pods", "labels", "FAIL", "labels {}")])
    text = str(table).splitlines()
    assert text[0].split() == ["LAB/EXERCISE", "STATUS", "SEEN"] and text[-1] == "1/2 exercises pass"
    assert "pods/labels" in text[2] and "FAIL" in text[2]
    html = table._repr_html_()
    assert html.count("<tr>") == 3 and "#cf222e" in html and "1/2 exercises pass" in html


def test_a_lab_that_was_never_reset_shows_as_not_started(tmp_path, monkeypatch):
    monkeypatch.setattr(labs, "WORK_DIR", tmp_path)
    rows = labs.progress(["setup", "capstone"]).rows
    assert [r[2] for r in rows] == ["not started"] * len(rows)
    assert len(rows) == len(labs.get("setup").exercises) + len(labs.get("capstone").exercises)


def test_the_cicd_labs_v2_change_breaks_a_test_and_the_level_3_fix_mends_it(tmp_path):
    """Without a cluster: the start's v2 change, on the app as it is now, fails the start's
    tests (the loop's test stage goes red); the change the hints lead to makes them pass."""
    import shutil

    from helpers import cicd, lessons

    repo = tmp_path / "hello"
    shutil.copytree(labs.get("cicd").folder / "start" / "hello", repo)
    for name in ("app.py", "VERSION"):
        shutil.copy(lessons.HELLO / name, repo / name)
    assert cicd.test_stage(repo).ok, "the start commit must be green"
    labs.cicd_v2_change(repo)
    red = cicd.test_stage(repo)
    assert not red.ok and "test_home_page_shows_the_version" in red.detail, red.detail
    app = repo / "app.py"
    app.write_text(app.read_text().replace("({VERSION}) on {pod}", "version={VERSION} pod={pod}"))
    assert cicd.test_stage(repo).ok
    assert "({VERSION}) on {pod}" in labs.get("cicd").exercise("green").hints[2]


def test_progress_of_a_started_lab_with_a_heavy_check_not_yet_run(tmp_path, monkeypatch):
    """The heavy check's row says 'not checked yet' (through gettext: a loop variable named
    ``_`` in progress() once hid it, so this row raised TypeError)."""
    monkeypatch.setattr(labs, "WORK_DIR", tmp_path)
    lab = labs.get("images")
    lab.work.mkdir(parents=True)
    light = [(ex.name, checks.CheckResult(f"{ex.name}: {c.function}", True, "ok"), c)
             for ex in lab.exercises_ for c in ex.checks if not c.heavy]
    monkeypatch.setattr(labs, "_run", lambda lab, heavy=True: light)
    rows = labs.progress(["images"]).rows
    assert any(status == "unchecked" and seen == "not checked yet: labctl check images"
               for _lab, _ex, status, seen in rows), rows


def test_progress_columns_line_up_in_korean(monkeypatch):
    """Hangul takes two terminal columns: the text table pads by screen width, not by characters."""
    import unicodedata

    def width(text):
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    monkeypatch.setenv("KUBELAB_LANG", "ko")
    table = labs.Progress([("pods", "pod", "PASS", "Running"), ("autoscale", "scale", "unchecked", "x"),
                           ("setup", "answers", "not started", "labctl reset setup")])
    lines = str(table).splitlines()[:-1]
    last_column = ["관찰 결과", "Running", "x", "labctl reset setup"]
    assert lines[0].endswith(last_column[0]), lines[0]
    starts = {width(line) - width(seen) for line, seen in zip(lines, last_column)}
    assert len(starts) == 1, "\n".join(lines)
