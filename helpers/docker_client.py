"""One place that connects to the Docker engine, with an error that names the fix."""

from __future__ import annotations

import functools
import platform

import docker
from docker.errors import DockerException

from .errors import DockerUnavailable
from .i18n import _


@functools.lru_cache(maxsize=1)
def client() -> docker.DockerClient:
    """The Docker client from the environment (``DOCKER_HOST`` or the default socket).

    Raises:
        DockerUnavailable: the engine does not answer; the hint says how to start it.
    """
    try:
        c = docker.from_env(timeout=300)
        c.ping()
        return c
    except DockerException as err:
        client.cache_clear()
        raise DockerUnavailable(_("the Docker engine does not answer"), state=str(err)[-400:],
                                hint=start_hint()) from None


def start_hint() -> str:
    system = platform.system()
    if system == "Darwin":
        return _("start Docker Desktop; if it runs, export DOCKER_HOST=unix://$HOME/.docker/run/docker.sock "
                 "(or `docker context use desktop-linux`)")
    if system == "Windows":
        return _("start Docker Desktop (WSL 2 backend) and run the lab inside WSL")
    return _("start it: `sudo systemctl start docker`, or on a bare Debian machine `sudo tools/install-docker.sh`")
