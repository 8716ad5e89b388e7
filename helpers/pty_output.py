"""Keep the last output of a notebook's ``!command``.

IPython runs ``!command`` through pexpect on a pseudo-terminal. When the command has
exited while its last output is still on its way through the pty, pexpect 4.9 finds the
child dead and nothing to read yet, and calls that the end: the cell shows nothing. With
both cores of a 2-core machine busy, 2 of 400 runs of ``kubectl get ns default -o name``
lost their line this way, though kubectl had printed it and exited 0; nbval then fails the
cell. The lessons run ``kubectl`` and ``docker`` this way, so importing ``helpers`` in a
kernel installs a spawn that waits, at that point, up to a second for what is left.
"""

from __future__ import annotations

import select
import sys

#: How long to wait for a dead child's last output; the pty's hang-up usually ends it sooner.
GRACE = 1.0


def _draining_spawn():
    import pexpect  # noqa: PLC0415
    from pexpect.spawnbase import SpawnBase  # noqa: PLC0415

    class DrainingSpawn(pexpect.spawn):
        """pexpect's spawn, whose end of output comes only when the pty has none left."""

        def read_nonblocking(self, size=1, timeout=-1):
            try:
                return super().read_nonblocking(size, timeout)
            except pexpect.EOF:
                if not select.select([self.child_fd], [], [], GRACE)[0]:
                    raise
                data = SpawnBase.read_nonblocking(self, size)  # at the true end: EIO, EOF again
                self.flag_eof = False
                return data

    return DrainingSpawn


def install() -> bool:
    """In an IPython kernel, run ``!command`` through :func:`_draining_spawn`'s class;
    elsewhere do nothing. Returns whether it installed."""
    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython  # noqa: PLC0415

    if get_ipython() is None:
        return False
    try:
        import pexpect  # noqa: PLC0415
    except ImportError:  # IPython then runs `!command` without a pty (Windows)
        return False
    if getattr(pexpect.spawn, "__name__", "") != "DrainingSpawn":
        pexpect.spawn = _draining_spawn()
    return True
