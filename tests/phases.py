"""lab.sh test runs the suite in two phases. First, alone: what changes the machine or the
whole cluster, and what measures CPU (an HPA acts on it, and another test's load would move
the measurement). Then everything else on several pytest-xdist workers (`-n N --dist
loadgroup`), since most of that time is spent waiting on the cluster, not computing. Each
group (group() below) runs on one worker, in order: the tests that share a lab's namespace
and work folder, or a lesson's images. conftest.py applies this table."""

from __future__ import annotations

ALONE = (
    "tests/integration/test_cluster_lifecycle.py",  # deletes and remakes kind clusters
    "tests/integration/test_multinode.py",  # a second cluster beside ours
    "tests/integration/test_non_root.py",  # runs `labctl up` on the running cluster
    "tests/integration/test_laptop.py",  # holds the lab lock; reads the cluster's record
    "tests/browser/",  # `./lab.sh start` runs `labctl up`
    "notebooks/05-capacity-and-scheduling.ipynb",  # HPAs scale on measured CPU
    "tests/integration/test_turns_l05.py",
    "labs/autoscale",  # labs/autoscale.ipynb, labs/autoscale/instructor.ipynb: an HPA again
)
#: Test IDs (by their start) that share state with others: one group each.
SHARED = {
    # Lessons 01 and 02 and the test of their turns run containers and push hello:mine.
    "notebooks/01-": "docker-lessons",
    "notebooks/02-": "docker-lessons",
    "tests/integration/test_turns_l01_l02.py": "docker-lessons",
    # Labs run from the terminal, beside their notebooks: the same namespace and work folder.
    "tests/integration/test_labs.py::test_pods_lab": "lab-pods",
    "tests/integration/test_labs.py::test_reset_returns_a_lab": "lab-pods",
    "tests/integration/test_korean.py::test_a_lab_check_and_its_hint": "lab-pods",
    "tests/integration/test_labs.py::test_a_lab_check_never_prints": "lab-setup",
    "tests/integration/test_labs.py::test_the_cicd_lab": "lab-cicd",
}


def group(nodeid: str) -> str:
    """The group of a test, from its ID alone (the xdist controller has no test objects):
    a lab's two notebooks are one group; otherwise, a file is (tests/unit/test_suite_phases.py)."""
    for prefix, name in SHARED.items():
        if nodeid.startswith(prefix):
            return name
    path = nodeid.split("::")[0]
    if path.startswith("labs/"):
        return "lab-" + path.split("/")[1].removesuffix(".ipynb")
    return path


def rank(name: str) -> int:
    """Workers take groups in order: the long ones first (labs, then lessons), so that no
    worker starts a long group when the others are done."""
    return 0 if name.startswith("lab-") else 1 if name.startswith(("notebooks/", "docker-")) else 2
