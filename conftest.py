"""Loaded for every test path, the notebooks too."""

import os
from pathlib import Path

import pytest

# Lessons and labs run unattended under nbval: a collapsed cell may then stand in
# for what a learner types (a manifest they write). A learner's kernel never has it.
os.environ.setdefault("KUBELAB_NBVAL", "1")

# Saved outputs are English; a machine whose locale is Korean must still compare them.
# A test of the Korean messages sets KUBELAB_LANG=ko itself.
os.environ["KUBELAB_LANG"] = "en"


# --- lab.sh test runs the suite in two phases ------------------------------------------------
# First, alone: what changes the machine or the whole cluster, and what measures CPU (an HPA
# acts on it, and another test's load would move the measurement). Then everything else on
# several pytest-xdist workers (`-n`, `--dist loadgroup`), since most of that time is spent
# waiting on the cluster, not computing. Each group below runs on one worker, in file order:
# the tests that share a lab's namespace and work folder, or a lesson's images.
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
# Lessons 01 and 02 and the test of their turns run containers and push hello:mine.
SHARED = {"notebooks/01-": "docker-lessons", "notebooks/02-": "docker-lessons",
          "tests/integration/test_turns_l01_l02.py": "docker-lessons"}


def _group(path: str) -> str:
    """The xdist group of a test file (a path relative to the repository)."""
    for prefix, group in SHARED.items():
        if path.startswith(prefix):
            return group
    if path.startswith("labs/"):  # a lab's two notebooks share its namespace and work folder
        return "lab-" + path.split("/")[1].removesuffix(".ipynb")
    return path


def _rank(group: str) -> int:
    """Workers take groups in order: the long ones first (labs, then lessons), so that no
    worker starts a long group when the others are done."""
    return 0 if group.startswith("lab-") else 1 if group.startswith(("notebooks/", "docker-")) else 2


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by these marks
def pytest_collection_modifyitems(config, items):
    root = Path(str(config.rootpath))
    for item in items:
        path = Path(str(item.path)).resolve().relative_to(root).as_posix()
        if path.startswith(ALONE):
            item.add_marker(pytest.mark.alone)
        if not item.get_closest_marker("xdist_group"):  # a test may name its group itself
            item.add_marker(pytest.mark.xdist_group(_group(path)))
    if getattr(config.option, "numprocesses", None):
        first: dict[str, int] = {}
        for index, item in enumerate(items):
            first.setdefault(item.get_closest_marker("xdist_group").args[0], index)

        def key(pair):
            group = pair[1].get_closest_marker("xdist_group").args[0]
            return _rank(group), first[group], pair[0]

        items[:] = [item for _, item in sorted(enumerate(items), key=key)]
