"""Containers: run, exec, measure, clean up. Everything started here carries the
suite's labels, so :func:`cleanup` removes exactly what the labs made.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from docker.errors import APIError, ContainerError, ImageNotFound, NotFound

from . import config
from .docker_client import client
from .errors import LabError
from .i18n import _


@dataclass
class RunResult:
    """A finished container: exit code, output, and how long the run took."""

    exit_code: int
    output: str
    seconds: float
    oom_killed: bool = False


def run(image: str, command: list[str] | str | None = None, *, lab: str | None = None, memory: str | None = None,
        env: dict | None = None, entrypoint: list[str] | str | None = None) -> RunResult:
    """Run a container to completion and collect its output.

    Twin: ``docker run --rm [--memory 64m] IMAGE COMMAND``
    """
    started = time.monotonic()
    try:
        c = client().containers.create(image, command, entrypoint=entrypoint, labels=config.labels(lab),
                                       mem_limit=memory, memswap_limit=memory, environment=env)
    except ImageNotFound:
        raise LabError(_("image {image} is not on this machine").format(image=image),
                       hint=_("build it first, or check the name and tag (`docker images`)")) from None
    try:
        try:
            c.start()
        except APIError as err:
            # What `docker run` reports as exit 127: the command is not in the image.
            if "executable file not found" in str(err) or "no such file" in str(err):
                return RunResult(127, _("{command}: not found in {image}: {explanation}").format(
                    command=command, image=image, explanation=err.explanation), time.monotonic() - started)
            raise
        status = c.wait(timeout=120)
        seconds = time.monotonic() - started
        c.reload()
        output = c.logs().decode(errors="replace")
        return RunResult(status["StatusCode"], output, seconds, c.attrs["State"].get("OOMKilled", False))
    finally:
        c.remove(force=True)


def start(image: str, name: str, *, lab: str | None = None, ports: dict | None = None,
          command: list[str] | None = None, env: dict | None = None, memory: str | None = None):
    """Start a long-running container (replacing one of the same name).

    ``ports`` maps the container's port to the host's: ``{"8080/tcp": 8089}``. A bare
    host port is published on 127.0.0.1 only, so a lab app is not reachable from the
    learner's network (plain ``docker run -p 8089:8080`` would publish it on 0.0.0.0).

    Twin: ``docker run -d --name NAME -p 127.0.0.1:8089:8080 [--memory 64m] IMAGE``
    """
    remove(name)
    ports = {inside: ("127.0.0.1", host) if isinstance(host, int) else host for inside, host in (ports or {}).items()}
    return client().containers.run(image, command, name=name, detach=True, labels=config.labels(lab), ports=ports,
                                   environment=env, mem_limit=memory, memswap_limit=memory)


def exec_(name: str, command: list[str] | str) -> str:
    """Run a command in a running container. Twin: ``docker exec NAME COMMAND``"""
    code, out = client().containers.get(name).exec_run(command)
    text = out.decode(errors="replace")
    if code != 0:
        raise ContainerError(name, code, command, None, text)
    return text


def remove(name: str) -> bool:
    """Remove a container if it exists. Twin: ``docker rm -f NAME``"""
    try:
        client().containers.get(name).remove(force=True)
        return True
    except NotFound:
        return False


def memory_usage(name: str) -> int:
    """A running container's memory use in bytes, page cache excluded. Twin: ``docker stats --no-stream NAME``"""
    stats = client().containers.get(name).stats(stream=False)["memory_stats"]
    return stats.get("usage", 0) - stats.get("stats", {}).get("cache", stats.get("stats", {}).get("inactive_file", 0))


def cleanup(lab: str | None = None) -> int:
    """Remove every container the suite (or one lab) started; returns how many.

    Twin: ``docker rm -f $(docker ps -aq -f label=app.kubernetes.io/part-of=kubelab)``
    """
    selector = [f"{config.PART_OF}={config.PART_OF_VALUE}"]
    if lab:
        selector.append(f"{config.LAB_LABEL}={lab}")
    removed = 0
    for c in client().containers.list(all=True, filters={"label": selector}):
        if c.name == config.REGISTRY_NAME:
            continue
        c.remove(force=True)
        removed += 1
    return removed
