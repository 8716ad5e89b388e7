"""Running the command-line tools (kind, kubectl, docker) with clear failures."""

from __future__ import annotations

import subprocess
from typing import Sequence

from . import config
from .errors import ClusterError, LabError
from .i18n import _


def tool(name: str) -> str:
    """The path of a required tool, or a LabError naming how to get it."""
    path = config.tool_path(name)
    if path is None:
        hints = {
            "kind": _("`labctl tools` (or ./lab.sh start) installs kind v0.33.0 into ~/.cache/kubelab/bin; "
                      "put that folder on PATH"),
            "kubectl": _("`labctl tools` (or ./lab.sh start) installs a kubectl of the cluster's version into "
                         "~/.cache/kubelab/bin; put that folder on PATH"),
            "docker": _("install Docker (Docker Desktop on macOS/Windows; tools/install-docker.sh on Debian)"),
        }
        raise LabError(_("{name} is not installed").format(name=name),
                       hint=hints.get(name) or _("install {name}").format(name=name))
    return path


def run(args: Sequence[str], *, check: bool = True, timeout: float = 600, input: str | None = None,
        error: type[LabError] = ClusterError, hint: str = "") -> subprocess.CompletedProcess:
    """Run a command, capture its output; on failure raise ``error`` with its last lines."""
    argv = [tool(args[0]), *args[1:]] if not args[0].startswith("/") else list(args)
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, input=input)
    except subprocess.TimeoutExpired as err:
        stderr = err.stderr.decode(errors="replace") if isinstance(err.stderr, bytes) else (err.stderr or "")
        what = _("`{command}` did not finish within {seconds:.0f}s").format(command=" ".join(args), seconds=timeout)
        raise error(what, state=stderr[-2000:],
                    hint=hint or _("check that Docker has enough memory and CPU, then retry")) from None
    if check and proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise error(_("`{command}` failed (exit {code})").format(command=" ".join(args), code=proc.returncode),
                    state=tail, hint=hint)
    return proc
