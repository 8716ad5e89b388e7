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
# several pytest-xdist workers (`-n N --dist loadgroup`), since most of that time is spent
# waiting on the cluster, not computing. Each group (group() below) runs on one worker, in
# order: the tests that share a lab's namespace and work folder, or a lesson's images.
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


def _rank(name: str) -> int:
    """Workers take groups in order: the long ones first (labs, then lessons), so that no
    worker starts a long group when the others are done."""
    return 0 if name.startswith("lab-") else 1 if name.startswith(("notebooks/", "docker-")) else 2


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by the mark
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith(ALONE):
            item.add_marker(pytest.mark.alone)
    if getattr(config.option, "numprocesses", None):  # the workers report this order
        first: dict[str, int] = {}
        for index, item in enumerate(items):
            first.setdefault(group(item.nodeid), index)

        def key(pair):
            name = group(pair[1].nodeid)
            return _rank(name), first[name], pair[0]

        items[:] = [item for _, item in sorted(enumerate(items), key=key)]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` by group(): xdist's own reads ``xdist_group`` marks through a
    rewrite of each test's ID that pytest 9 no longer shows, and then splits a notebook's
    cells across workers (each would start a new kernel)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group(nodeid)

    return GroupScheduling(config, log)
