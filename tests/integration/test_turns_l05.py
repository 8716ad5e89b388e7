"""Lesson 05's "Your turn" check on real objects: it fails on the start state
(no HPA, then the bare ``kubectl autoscale`` one) and passes on the solved one."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from helpers import config, turns
from helpers.turns import l05

pytestmark = pytest.mark.cluster

DEDICATED = config.REPO_ROOT / "k8s" / "lessons" / "05" / "dedicated.yaml"


def _kubectl(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run(["kubectl", "--context", config.KIND_CONTEXT, *args], input=stdin, text=True,
                          capture_output=True, check=True)
    return done.stdout


def test_hpa_noon_fails_until_written_as_asked_then_passes(namespace, tmp_path: Path):
    # Only the noon Deployment is needed: the check reads specs, not whether its pod runs.
    noon = [d for d in yaml.safe_load_all(DEDICATED.read_text()) if d["metadata"]["name"] == "noon"]
    _kubectl("apply", "-n", namespace, "-f", "-", stdin=yaml.safe_dump_all(noon))

    start = l05.hpa_noon(namespace)
    assert not start.ok and "no horizontalpodautoscaler/noon" in start.seen

    # What `kubectl autoscale` alone gives: right bounds and target, default scale-down.
    bare = _kubectl("autoscale", "deployment", "noon", "--min=1", "--max=3", "--cpu=60%",
                    "--dry-run=client", "-o", "yaml", "-n", namespace)
    _kubectl("apply", "-n", namespace, "-f", "-", stdin=bare)
    half = l05.hpa_noon(namespace)
    assert not half.ok and "the default 300 s" in half.seen and "does not wait 15 s" in half.seen

    wrong = yaml.safe_load(bare)
    wrong["spec"]["maxReplicas"] = 9
    wrong["spec"]["behavior"] = {"scaleDown": {"stabilizationWindowSeconds": 15}}
    _kubectl("apply", "-n", namespace, "-f", "-", stdin=yaml.safe_dump(wrong))
    off = l05.hpa_noon(namespace)
    assert not off.ok and "between 1 and 9" in off.seen and "bounds are not 1 to 3" in off.seen

    solved = dict(wrong, spec={**wrong["spec"], "maxReplicas": 3})
    _kubectl("apply", "-n", namespace, "-f", "-", stdin=yaml.safe_dump(solved))
    done = l05.hpa_noon(namespace)
    assert done.ok, done.seen
    assert "scales deployment/noon between 1 and 3 pods, CPU target 60% of the request, scale-down waits 15 s" \
        == done.seen


def test_hpa_noon_is_registered_for_lesson_05():
    assert "hpa-noon" in turns.tasks("05")
