"""Lesson 02's "Your turn": the learner builds the sample app with a change of
their own, tags it ``localhost:5001/hello:mine`` and pushes it; the check compares
the registry's copy with the image on this machine and with the lesson's v1."""

from __future__ import annotations

from docker.errors import ImageNotFound

from .. import config, registry
from ..checks import CheckResult
from ..docker_client import client
from ..i18n import _
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
    title = _("{image} is your own build, pushed").format(image=image)
    pushed = registry.digest("hello", tag)
    local = _local_digests(image)
    if pushed is None:
        seen = (_("the registry has no hello:{tag} (it exists on this machine only)") if client().images.list(name=image)
                else _("the registry has no hello:{tag} (there is no image of that name here either)"))
        return CheckResult(title, False, seen.format(tag=tag))
    if pushed not in local:
        return CheckResult(title, False, _("the registry's hello:{tag} ({digest}…) is not the image {image} on this machine")
                           .format(tag=tag, digest=pushed[:19], image=image))
    if pushed == registry.digest("hello", "v1"):
        return CheckResult(title, False, _("hello:{tag} has the same digest as hello:v1 ({digest}…): "
                                           "the same image under a second name").format(tag=tag, digest=pushed[:19]))
    return CheckResult(title, True, _("the registry's hello:{tag} is {digest}…, the image on this machine, "
                                      "and differs from hello:v1").format(tag=tag, digest=pushed[:19]))
