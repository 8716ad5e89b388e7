"""One lab operation at a time: ``labctl up``, ``down``, ``pipeline`` and ``reset``
take a file lock (filelock), so two of them never change the cluster at once.

A second run waits, saying for what; after ``timeout`` it fails naming the
holder's command and PID. The lock is per user (in the user's cache folder):
two users sharing one Docker engine are not kept apart. ``KUBELAB_LOCK_DIR``
moves it: the test suite's parallel workers each take their own, as their work
is in namespaces of their own and only tests that run alone bring the cluster up.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import filelock

from . import config
from .errors import LabError
from .i18n import _
from .tools import user_bin

DEFAULT_TIMEOUT = float(os.environ.get("KUBELAB_LOCK_TIMEOUT", "1800"))


def lock_path() -> Path:
    folder = os.environ.get("KUBELAB_LOCK_DIR")
    return (Path(folder) if folder else user_bin().parent / "locks") / f"{config.CLUSTER_NAME}.lock"


def holder() -> dict:
    """Who holds the lock, as the holder wrote it (``{}`` when unknown)."""
    try:
        return json.loads(lock_path().with_suffix(".holder").read_text())
    except (OSError, ValueError):
        return {}


def _describe(who: dict) -> str:
    if not who:
        return _("another lab operation")
    return _("`{command}` (pid {pid})").format(command=who.get("command", "?"), pid=who.get("pid", "?"))


@contextmanager
def exclusive(command: str, *, timeout: float = DEFAULT_TIMEOUT, echo: bool = True) -> Iterator[None]:
    """Hold the lab lock while the block runs; ``command`` names this run to a waiting one.

    Example: ``with exclusive("labctl up"): cluster.up()``
    """
    path = lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(path)
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        who = holder()
        if echo:
            print(_("… waiting for {holder} to finish (one lab operation at a time; lock {path})")
                  .format(holder=_describe(who), path=path), file=sys.stderr, flush=True)
        try:
            lock.acquire(timeout=timeout)
        except filelock.Timeout:
            who = holder()
            raise LabError(_("another lab operation still runs after {seconds:.0f}s: {holder}")
                           .format(seconds=timeout, holder=_describe(who)),
                           state=_("lock file {path}").format(path=path),
                           hint=_("wait for it to finish, or stop it (kill {pid}), then run the command again")
                           .format(pid=who.get("pid", "PID"))) from None
    holder_file = path.with_suffix(".holder")
    try:
        holder_file.write_text(json.dumps({"command": command, "pid": os.getpid()}))
        yield
    finally:
        holder_file.unlink(missing_ok=True)
        lock.release()
