"""Lesson 02's "Your turn": the learner builds the sample app with a change of
their own, tags it ``localhost:5001/hello:mine`` and pushes it; the check compares
the registry's copy with the image on this machine and with the lesson's v1."""

from __future__ import annotations

from docker.errors import ImageNotFound

from .. import config, registry
from ..checks import CheckResult
from ..docker_client import client
from . import task

TAG = "mine"


def _local_digests(image: str) -> set[str]:
    try:
        attrs = client().images.get(image).attrs
    except ImageNotFound:
        return set()
    return {d.rpartition("@")[2] for d in attrs.get("RepoDigests") or []}


@task("02", "push-mine")
def push_mine(tag: str = TAG) -> CheckResult:
    """localhost:5001/hello:<tag> is in the registry, it is the image of that name on
    this machine, and it is a build of its own (not v1 under another name)."""
    image = f"{config.REGISTRY_HOST}/hello:{tag}"
    title = f"{image} is your own build, pushed"
    pushed = registry.digest("hello", tag)
    local = _local_digests(image)
    if pushed is None:
        where = "it exists on this machine only" if client().images.list(name=image) else \
            "there is no image of that name here either"
        return CheckResult(title, False, f"the registry has no hello:{tag} ({where})")
    if pushed not in local:
        return CheckResult(title, False, f"the registry's hello:{tag} ({pushed[:19]}…) is not the image "
                           f"{image} on this machine")
    if pushed == registry.digest("hello", "v1"):
        return CheckResult(title, False, f"hello:{tag} has the same digest as hello:v1 ({pushed[:19]}…): "
                           "the same image under a second name")
    return CheckResult(title, True, f"the registry's hello:{tag} is {pushed[:19]}…, the image on this machine, "
                       "and differs from hello:v1")
