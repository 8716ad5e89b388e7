"""Who holds a host port: a lab container, another container, or another program."""

from __future__ import annotations

import socket

from .docker_client import client
from .errors import DockerUnavailable


DOCKER_UNKNOWN = "Docker does not answer, so whether it is a lab container cannot be told"


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def docker_owner(port: int) -> str | None:
    """The name of the container that publishes ``port`` on the host, if any."""
    for c in client().containers.list():
        for bindings in (c.attrs.get("HostConfig", {}).get("PortBindings") or {}).values():
            for b in bindings or []:
                if str(b.get("HostPort")) == str(port):
                    return c.name
    return None


def port_owner(port: int) -> str:
    """Empty when the port is free; otherwise who holds it, in words."""
    if port_free(port) and port_free(port, "0.0.0.0"):
        return ""
    try:
        owner = docker_owner(port)
    except DockerUnavailable:
        return f"something listens on port {port}; {DOCKER_UNKNOWN}"
    if owner:
        return f"container {owner} publishes port {port}"
    return f"another program listens on port {port} (find it: `sudo ss -ltnp 'sport = :{port}'`)"
