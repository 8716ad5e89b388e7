"""Labs on the real cluster, as a learner meets them from a terminal: `labctl reset`,
then kubectl on the files in labs/work/NAME/, then `labctl check`, `labctl hint`,
`labctl progress`. (Every lab's start state and solution also run in full under
nbval: its student and instructor notebooks.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import checks, cicd, config, labs, pipeline, registry

pytestmark = pytest.mark.cluster

LABCTL = str(Path(sys.executable).with_name("labctl"))


def _labctl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([LABCTL, *args], capture_output=True, text=True, cwd=config.REPO_ROOT, timeout=600)


def _kubectl(*args: str) -> str:
    return subprocess.run(["kubectl", "--context", config.KIND_CONTEXT, *args], check=True, capture_output=True,
                          text=True, cwd=config.REPO_ROOT).stdout


@pytest.fixture
def pods_lab(lab_cluster):
    assert _labctl("reset", "pods").returncode == 0
    yield labs.get("pods")
    labs.cleanup("pods")


def test_pods_lab_from_the_terminal_symptoms_hints_progress_then_the_fix(pods_lab):
    # The start state: each exercise fails with what is seen, no fix, and a hint command at the end.
    report = labs.settle("pods", quiet=10)
    assert [r.ok for r in report] == [False, False], report
    assert "ImagePullBackOff for localhost:5001/helo:v1" in report[0].seen
    assert "labels are {'app': 'Web'}" in report[1].seen
    out = _labctl("check", "pods")
    assert out.returncode == 1 and "fix:" not in out.stdout and "stuck? labctl hint pods pod" in out.stdout

    # Hints on request, in order: where to look, what is wrong, the fix.
    levels = [_labctl("hint", "pods", "pod").stdout for _ in range(3)]
    assert [re.search(r"hint (\d)/3", h).group(1) for h in levels] == ["1", "2", "3"]
    assert "kubectl describe pod hello" in levels[0] and "misspelt" in levels[1] and "hello:v1" in levels[2]

    table = _labctl("progress", "pods").stdout
    assert re.search(r"^pods/pod\s+FAIL", table, re.M) and table.strip().endswith("0/2 exercises pass")

    # The learner's fix, with kubectl on the work files.
    work = pods_lab.work
    (work / "pod.yaml").write_text((work / "pod.yaml").read_text().replace("helo:v1", "hello:v1"))
    labels = (work / "labels.yaml").read_text().replace("app: Web", "app: web\n    tier: frontend")
    (work / "labels.yaml").write_text(labels)
    _kubectl("replace", "--force", "-f", "labs/work/pods/pod.yaml", "-n", "lab-pods")
    _kubectl("apply", "-f", "labs/work/pods/labels.yaml", "-n", "lab-pods")
    _kubectl("wait", "--for=condition=Ready", "pod/hello", "-n", "lab-pods", "--timeout=90s")
    assert _labctl("check", "pods").returncode == 0
    assert _labctl("progress", "pods").stdout.strip().endswith("2/2 exercises pass")


def test_reset_returns_a_lab_to_its_start_and_forgets_the_hints(pods_lab):
    labs.hint("pods", "labels")
    _kubectl("delete", "pod", "web", "-n", "lab-pods", "--wait=false")
    assert _labctl("reset", "pods").returncode == 0
    assert labs.hint("pods", "labels").startswith("pods/labels hint 1/3")
    assert "labels are {'app': 'Web'}" in labs.settle("pods", quiet=5)[1].seen


def test_the_pipeline_lab_refuses_the_placeholder_and_any_path_but_the_pushed_one(lab_cluster, tmp_path):
    from helpers import lessons

    pushed = lessons.hello_image("v1")
    deploy = labs.LABS_DIR / "pipeline" / "start" / "deploy.yaml"
    text = deploy.read_text()
    cases = {"IMAGE": "still the placeholder IMAGE",
             "localhost:5001/hello:latest": "the registry holds no such tag",
             "localhost:5001/hello:v0-never": "the registry holds no such tag",
             "localhost:5001/hello:v1": "it is not the one just pushed"}
    assert "v1" in registry.tags("hello")
    for image, seen in cases.items():
        (tmp_path / "deploy.yaml").write_text(text.replace("image: IMAGE", f"image: {image}"))
        result = checks.image_rule(tmp_path / "deploy.yaml", pushed)
        assert not result.ok and seen in result.seen, (image, result)
    (tmp_path / "deploy.yaml").write_text(text.replace("image: IMAGE", f"image: {pushed}"))
    assert checks.image_rule(tmp_path / "deploy.yaml", pushed).ok


def test_a_lab_check_never_prints_a_fix_even_where_the_check_has_one(lab_cluster):
    assert _labctl("reset", "setup").returncode == 0
    try:
        report = labs.check("setup")
        assert not report.ok and all(not r.fix for r in report)
        assert "kubernetes_version is ?" in report[0].seen
        assert report[1].seen == "it does not exist"
    finally:
        labs.cleanup("setup")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def test_the_cicd_lab_red_push_stays_out_then_a_green_one_goes_live(lab_cluster):
    """As a learner in the terminal: commit (nothing happens), push (red, v1 keeps serving),
    fix and push (green, v2 live); a red commit run by hand fails the first exercise again."""
    assert _labctl("reset", "cicd").returncode == 0
    try:
        repo, origin = labs.cicd_repo(), labs.cicd_origin()
        start = _git(origin, "rev-parse", "--short=10", "main").strip()
        first_live = f"localhost:5001/hello:{start}"
        report = labs.check("cicd")
        assert [r.ok for r in report] == [False, False], report
        assert "nothing pushed since" in report[0].seen and "nothing new pushed" in report[1].seen
        assert all(not r.fix for r in report)

        # Committed but not pushed: the loop never sees it.
        _git(repo, "commit", "-qam", "hello v2")
        assert [r.ok for r in labs.check("cicd")] == [False, False]

        pushed = subprocess.run(["git", "-C", str(repo), "push", "origin", "main"], capture_output=True, text=True)
        assert "[test] ✗" in pushed.stderr and "✗ red" in pushed.stderr, pushed.stderr
        red = _git(repo, "rev-parse", "--short=10", "HEAD").strip()
        report = labs.check("cicd")
        assert report[0].ok and red in report[0].seen and first_live in report[0].seen, report
        assert not report[1].ok and f"runs {first_live}" in report[1].seen, report
        assert cicd.live_image("hello", "lab-cicd") == first_live
        assert "version=v1" in pipeline.get("http://cicd.localhost/").text

        # The fix the failing test points at, pushed: green and live.
        app = repo / "app.py"
        app.write_text(app.read_text().replace("({VERSION}) on {pod}", "version={VERSION} pod={pod}"))
        _git(repo, "commit", "-qam", "home page: version= again")
        pushed = subprocess.run(["git", "-C", str(repo), "push", "origin", "main"], capture_output=True, text=True)
        assert "✓ green" in pushed.stderr, pushed.stderr
        assert _labctl("check", "cicd").returncode == 0
        assert _labctl("progress", "cicd").stdout.strip().endswith("2/2 exercises pass")

        # The red commit run by hand: it no longer stayed out, and main's last commit is not what runs.
        _kubectl("set", "image", "deployment/hello", f"hello=localhost:5001/hello:{red}", "-n", "lab-cicd")
        report = labs.check("cicd")
        assert not report[0].ok and "ran its image" in report[0].seen, report
        assert not report[1].ok and f"runs localhost:5001/hello:{red}" in report[1].seen, report
    finally:
        labs.cleanup("cicd")
