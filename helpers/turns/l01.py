"""Lesson 01's "Your turn": the learner runs the sample app in a container with a
memory limit; the check reads the container back from Docker, as
``docker inspect`` shows it."""

from __future__ import annotations

from docker.errors import NotFound

from ..checks import CheckResult
from ..docker_client import client
from ..i18n import _
from . import task

NAME = "limited-01"
LIMIT = 128 * 2**20


def _mib(n: int) -> str:
    return f"{n / 2**20:g} MiB"


@task("01", "memory-limit")
def memory_limit(name: str = NAME) -> CheckResult:
    """A running container ``limited-01`` of the sample app, limited to 128 MiB of memory."""
    title = _("container {name} runs the sample app with a 128 MiB memory limit").format(name=name)
    try:
        c = client().containers.get(name)
    except NotFound:
        return CheckResult(title, False, _("there is no container named {name}").format(name=name))
    state, host = c.attrs["State"], c.attrs["HostConfig"]
    image = c.attrs["Config"]["Image"]
    if "/hello:" not in image:
        return CheckResult(title, False, _("{name} runs image {image}, not the sample app").format(name=name, image=image))
    if state["Status"] != "running":
        seen = (_("{name} is {status} (exit code {code}, OOMKilled)") if state.get("OOMKilled")
                else _("{name} is {status} (exit code {code})"))
        return CheckResult(title, False, seen.format(name=name, status=state["Status"], code=state.get("ExitCode")))
    memory = host.get("Memory") or 0
    if not memory:
        return CheckResult(title, False, _("{name} is running with no memory limit (HostConfig.Memory is 0)")
                           .format(name=name))
    if memory != LIMIT:
        return CheckResult(title, False, _("{name}'s memory limit is {limit}").format(name=name, limit=_mib(memory)))
    return CheckResult(title, True, _("{name} is running {image} with HostConfig.Memory {memory} ({limit})")
                       .format(name=name, image=image, memory=memory, limit=_mib(memory)))
