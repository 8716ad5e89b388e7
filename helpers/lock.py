"""One lab operation at a time: ``labctl up``, ``down``, ``pipeline`` and ``reset``
take a file lock (filelock), so two of them never change the cluster at once.

A second run waits, saying for what; after ``timeout`` it fails naming the
holder's command and PID. The lock is per user (in the user's cache folder):
two users sharing one Docker engine are not kept apart.
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
from .tools import user_bin

DEFAULT_TIMEOUT = float(os.environ.get("KUBELAB_LOCK_TIMEOUT", "1800"))


def lock_path() -> Path:
    return user_bin().parent / "locks" / f"{config.CLUSTER_NAME}.lock"


def holder() -> dict:
    """Who holds the lock, as the holder wrote it (``{}`` when unknown)."""
    try:
        return json.loads(lock_path().with_suffix(".holder").read_text())
    except (OSError, ValueError):
        return {}


def _describe(who: dict) -> str:
    if not who:
        return "another lab operation"
    return f"`{who.get('command', '?')}` (pid {who.get('pid', '?')})"


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
            print(f"… waiting for {_describe(who)} to finish (one lab operation at a time; lock {path})",
                  file=sys.stderr, flush=True)
        try:
            lock.acquire(timeout=timeout)
        except filelock.Timeout:
            who = holder()
            raise LabError(f"another lab operation still runs after {timeout:.0f}s: {_describe(who)}",
                           state=f"lock file {path}",
                           hint=f"wait for it to finish, or stop it (kill {who.get('pid', 'PID')}), "
                                "then run the command again") from None
    holder_file = path.with_suffix(".holder")
    try:
        holder_file.write_text(json.dumps({"command": command, "pid": os.getpid()}))
        yield
    finally:
        holder_file.unlink(missing_ok=True)
        lock.release()
