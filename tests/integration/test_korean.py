"""kubelab speaks Korean on the real cluster, as a Korean learner runs it from a terminal
with KUBELAB_LANG=ko (./lab.sh start --lang ko sets it): a lab's check and hint, and a
pipeline failure, come in Korean; the English run of the same commands has no Hangul."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import config, labs

pytestmark = pytest.mark.cluster

LABCTL = str(Path(sys.executable).with_name("labctl"))
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _labctl(*args: str, lang: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, KUBELAB_LANG=lang)
    return subprocess.run([LABCTL, *args], capture_output=True, text=True, cwd=config.REPO_ROOT, env=env,
                          timeout=600)


def _hangul_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if HANGUL.search(line)]


@pytest.fixture
def pods_lab(lab_cluster):
    assert _labctl("reset", "pods", lang="en").returncode == 0
    labs.settle("pods", quiet=10)
    yield
    labs.cleanup("pods")


def test_a_lab_check_and_its_hint_in_korean(pods_lab):
    english = _labctl("check", "pods", lang="en")
    korean = _labctl("check", "pods", lang="ko")
    assert english.returncode == korean.returncode == 1, korean.stdout + korean.stderr
    assert not _hangul_lines(english.stdout), english.stdout
    # The symptom of the misspelt image, in Korean, with the image's name as it is.
    lines = _hangul_lines(korean.stdout)
    assert any("localhost:5001/helo:v1" in line for line in lines), korean.stdout
    assert "stuck? labctl hint" not in korean.stdout and "labctl hint pods pod" in korean.stdout, korean.stdout
    hint = _labctl("hint", "pods", "pod", lang="ko")
    assert hint.returncode == 0 and _hangul_lines(hint.stdout), hint.stdout
    assert "kubectl describe pod hello -n lab-pods" in hint.stdout, hint.stdout


def test_a_pipeline_failure_in_korean(sample_repo):
    (sample_repo / "Dockerfile").unlink()
    english = _labctl("pipeline", "--repo", str(sample_repo), lang="en")
    korean = _labctl("pipeline", "--repo", str(sample_repo), lang="ko")
    assert english.returncode == korean.returncode != 0
    assert "no Dockerfile" in english.stdout + english.stderr and not _hangul_lines(english.stdout + english.stderr)
    said = korean.stdout + korean.stderr
    assert "no Dockerfile" not in said, said
    error_lines = [line for line in said.splitlines() if line.startswith(("ERROR", "오류"))]
    assert error_lines and all(HANGUL.search(line) for line in error_lines), said
    assert "Dockerfile" in said and re.search(r"^힌트: ", said, re.M), said
