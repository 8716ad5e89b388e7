"""lab.sh test's two phases (tests/phases.py): which tests run alone, and which run on one
worker together. A renamed test or file must not silently leave its group."""

from __future__ import annotations

import re

from tests import phases
from helpers import config

ROOT = config.REPO_ROOT


def test_a_labs_notebooks_and_its_terminal_tests_are_one_group():
    assert {phases.group(n) for n in ("labs/pods/instructor.ipynb::Cell 3", "labs/pods.ipynb::Cell 0",
                                        "tests/integration/test_labs.py::test_pods_lab_from_the_terminal_x",
                                        "tests/integration/test_korean.py::test_a_lab_check_and_its_hint_in_korean")
            } == {"lab-pods"}
    assert phases.group("labs/cicd.ipynb::Cell 1") == "lab-cicd" != phases.group("labs/pods.ipynb::Cell 1")


def test_lessons_01_and_02_share_a_group_and_other_files_are_their_own():
    assert (phases.group("notebooks/01-vm-vs-container.ipynb::Cell 4")
            == phases.group("notebooks/02-images.ipynb::Cell 9")
            == phases.group("tests/integration/test_turns_l01_l02.py::test_memory_limit"))
    assert phases.group("tests/integration/test_cli.py::test_doctor") == "tests/integration/test_cli.py"
    assert phases.group("notebooks/04-replicaset-deployment-service.ipynb::Cell 2") != phases.group(
        "notebooks/03-cluster-namespaces-pods.ipynb::Cell 2")


def test_every_entry_names_a_file_or_test_that_exists():
    for prefix in (*phases.ALONE, *phases.SHARED):
        path, _, test = prefix.partition("::")
        matches = [p for p in ROOT.glob(path + "*") if p.exists()]
        assert matches, f"{prefix}: no such file"
        if test:
            assert re.search(rf"^def {re.escape(test)}", matches[0].read_text(), re.M), f"{prefix}: no such test"
