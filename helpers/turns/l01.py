"""Lesson 01's "Your turn": the learner runs the sample app in a container with a
memory limit; the check reads the container back from Docker, as
``docker inspect`` shows it."""

from __future__ import annotations

from docker.errors import NotFound

from ..checks import CheckResult
from ..docker_client import client
from . import task

NAME = "limited-01"
LIMIT = 128 * 2**20


def _mib(n: int) -> str:
    return f"{n / 2**20:g} MiB"


@task("01", "memory-limit")
def memory_limit(name: str = NAME) -> CheckResult:
    """A running container ``limited-01`` of the sample app, limited to 128 MiB of memory."""
    title = f"container {name} runs the sample app with a 128 MiB memory limit"
    try:
        c = client().containers.get(name)
    except NotFound:
        return CheckResult(title, False, f"there is no container named {name}")
    state, host = c.attrs["State"], c.attrs["HostConfig"]
    image = c.attrs["Config"]["Image"]
    if "/hello:" not in image:
        return CheckResult(title, False, f"{name} runs image {image}, not the sample app")
    if state["Status"] != "running":
        return CheckResult(title, False, f"{name} is {state['Status']} (exit code {state.get('ExitCode')}"
                           f"{', OOMKilled' if state.get('OOMKilled') else ''})")
    memory = host.get("Memory") or 0
    if not memory:
        return CheckResult(title, False, f"{name} is running with no memory limit (HostConfig.Memory is 0)")
    if memory != LIMIT:
        return CheckResult(title, False, f"{name}'s memory limit is {_mib(memory)}")
    return CheckResult(title, True, f"{name} is running {image} with HostConfig.Memory {memory} ({_mib(memory)})")
