"""The "Your turn" checks of lessons 01 and 02 fail on the lesson's start state and
pass on the solved one, both made for real with Docker and the local registry."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import pytest

from helpers import config, images, lessons
from helpers.turns import l01, l02

pytestmark = pytest.mark.cluster


def _docker(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def hello_v1(lab_cluster) -> str:
    return lessons.hello_image("v1", plain=True, echo=False)


def test_memory_limit_fails_until_the_container_runs_with_128_mib(hello_v1):
    name = f"turn-01-{uuid.uuid4().hex[:6]}"
    try:
        start = l01.memory_limit(name)
        assert not start.ok and "no container named" in start.seen

        _docker("run", "-d", "--name", name, hello_v1)
        unlimited = l01.memory_limit(name)
        assert not unlimited.ok and "no memory limit" in unlimited.seen

        _docker("rm", "-f", name)
        _docker("run", "-d", "--name", name, "--memory", "256m", hello_v1)
        wrong = l01.memory_limit(name)
        assert not wrong.ok and "256 MiB" in wrong.seen

        _docker("rm", "-f", name)
        _docker("run", "-d", "--name", name, "--memory", "128m", hello_v1)
        solved = l01.memory_limit(name)
        assert solved.ok, solved
        assert "134217728" in solved.seen
        _docker("stop", "-t", "1", name)
        stopped = l01.memory_limit(name)
        assert not stopped.ok and "exited" in stopped.seen
    finally:
        _docker("rm", "-f", name)


def test_push_mine_fails_until_an_own_build_is_pushed(hello_v1, tmp_path):
    # A fresh tag per run: the registry keeps what was pushed, so a fixed tag would
    # already be "solved" by the previous run.
    tag = f"turn-test-{uuid.uuid4().hex[:8]}"
    image = f"{config.REGISTRY_HOST}/hello:{tag}"
    try:
        start = l02.push_mine(tag)
        assert not start.ok and "registry has no" in start.seen

        images.tag(hello_v1, image)
        local_only = l02.push_mine(tag)
        assert not local_only.ok and "on this machine only" in local_only.seen

        assert _docker("push", image).returncode == 0
        same = l02.push_mine(tag)
        assert not same.ok and "same digest as hello:v1" in same.seen

        # The learner's change: another message, built and pushed under the tag.
        src = tmp_path / "hello"
        shutil.copytree(lessons.HELLO, src, ignore=shutil.ignore_patterns("__pycache__", "k8s"))
        (src / "app.py").write_text((src / "app.py").read_text().replace("Hello from kubelab!", f"Hello {tag}!"))
        images.build(src, image, echo=False)
        stale = l02.push_mine(tag)
        assert not stale.ok and "is not the image" in stale.seen

        assert _docker("push", image).returncode == 0
        solved = l02.push_mine(tag)
        assert solved.ok, solved
    finally:
        _docker("rmi", image)
