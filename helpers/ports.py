"""Who holds a host port: a lab container, another container, or another program.

The checks ask who listens; they never bind the port themselves. Binding a
port below 1024 fails for a user without root (EACCES) even when the port is
free, and that must not read as "taken".
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from .docker_client import client
from .errors import DockerUnavailable
from .i18n import N_, _


DOCKER_UNKNOWN = N_("Docker does not answer, so whether it is a lab container cannot be told")
LISTEN = "0A"  # the TCP state LISTEN in /proc/net/tcp


def listening_ports(tables: list[str] | None = None) -> set[int] | None:
    """The TCP ports something listens on, read from ``/proc/net/tcp`` and ``tcp6``;
    None where those tables do not exist (macOS).

    Args:
        tables: the tables' text, for a test; default: read them.

    >>> row = "  1: 0100007F:1389 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 1 1"
    >>> header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
    >>> listening_ports([header + "\\n" + row])
    {5001}
    """
    if tables is None:
        paths = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
        if not any(p.exists() for p in paths):
            return None
        tables = [p.read_text() for p in paths if p.exists()]
    ports = set()
    for table in tables:
        for line in table.splitlines()[1:]:
            fields = line.split()
            if len(fields) > 3 and fields[3] == LISTEN:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _answers(port: int) -> bool:
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        try:
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.settimeout(1)
                if s.connect_ex((host, port)) == 0:
                    return True
        except OSError:
            continue
    return False


def port_free(port: int) -> bool:
    """True when nothing listens on ``port`` (on any address of this machine)."""
    listening = listening_ports() if sys.platform.startswith("linux") else None
    if listening is not None:
        return port not in listening
    return not _answers(port)


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
    if port_free(port):
        return ""
    try:
        owner = docker_owner(port)
    except DockerUnavailable:
        return _("something listens on port {port}; {reason}").format(port=port, reason=_(DOCKER_UNKNOWN))
    if owner:
        return _("container {name} publishes port {port}").format(name=owner, port=port)
    return _("another program listens on port {port} (find it: `sudo ss -ltnp 'sport = :{port}'`)").format(port=port)
