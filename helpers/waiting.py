"""Waiting, one way for all of ``helpers``: a **watch** for Kubernetes objects, a
**poll** only for what the API server cannot stream (an HTTP answer, a registry).

Both end the same way: the awaited value, a :class:`~helpers.errors.LabError`
raised by the judge as soon as it sees a state that waiting will not heal (fail
fast), or, when the time runs out, a ``LabError`` saying what was awaited and
what was seen last (events, pod states, log tail: whatever ``seen`` reports).

This module knows how to wait, not what Kubernetes objects mean: the judges live
with the verbs in :mod:`helpers.kube`.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from kubernetes import watch as k8s_watch
from kubernetes.client.rest import ApiException

from .errors import LabError, WaitTimedOut
from .i18n import _

T = TypeVar("T")

#: The one poll interval: short enough that a URL answering is seen at once, long
#: enough not to load a 2-core machine.
POLL_INTERVAL = 0.25

#: A watch stream is re-opened this often (server side ``timeoutSeconds``), so its
#: thread ends within this long after the wait is over.
_STREAM_SECONDS = 8


@dataclass(frozen=True)
class Source:
    """One thing to watch: a resource (from the dynamic client), in a namespace,
    by name or label selector. ``key`` names it in the view the judge gets.

    >>> Source("pods", resource=None, client=None, namespace="web", selector="app=web").field_selector is None
    True
    """

    key: str
    resource: Any
    client: Any
    namespace: str | None = None
    name: str | None = None
    selector: str | None = None

    @property
    def field_selector(self) -> str | None:
        return f"metadata.name={self.name}" if self.name else None


View = dict  # key -> {object name -> object dict}, the latest state of every watched object


def watch(sources: Source | list[Source], judge: Callable[[View], T | None], *, timeout: float, what: str,
          seen: Callable[[View], str] | None = None, hint: str | Callable[[str], str] = "",
          error: type[LabError] = WaitTimedOut) -> T:
    """Watch ``sources`` until ``judge`` returns something other than None; return that.

    ``judge`` gets the view (``{key: {name: object dict}}``) after the initial list
    and after every change; it may raise a ``LabError`` to end the wait at once.
    Out of time: ``error(what ... within N s, state=seen(view), hint=hint)``; a callable
    ``hint`` gets that state and returns the fix for it.

    Twin: ``kubectl get KIND NAME -w`` (and ``kubectl wait``).
    """
    sources = [sources] if isinstance(sources, Source) else list(sources)
    deadline = time.monotonic() + timeout
    view: View = {}
    versions: dict[str, str] = {}
    for src in sources:
        view[src.key], versions[src.key] = _list(src)
    verdict = judge(view)
    if verdict is not None:
        return verdict
    events: queue.Queue = queue.Queue()
    stop = threading.Event()
    watchers = [k8s_watch.Watch() for _src in sources]
    for src, watcher in zip(sources, watchers):
        threading.Thread(target=_stream, args=(src, watcher, versions[src.key], deadline, stop, events),
                         daemon=True, name=f"kubelab-watch-{src.key}").start()
    try:
        while (left := deadline - time.monotonic()) > 0:
            try:
                key, kind, payload = events.get(timeout=left)
            except queue.Empty:
                break
            if kind == "RESET":
                view[key] = payload
            elif kind == "DELETED":
                view[key].pop(_name(payload), None)
            else:
                view[key][_name(payload)] = payload
            verdict = judge(view)
            if verdict is not None:
                return verdict
    finally:
        stop.set()
        for watcher in watchers:
            _hang_up(watcher)
    _timed_out(what, timeout, seen(view) if seen else _summary(view), hint, error,
               _("read the state above; `kubectl describe` the object for more"))


def poll(probe: Callable[[], T | None], *, timeout: float, what: str, seen: Callable[[], str] | None = None,
         hint: str | Callable[[str], str] = "", error: type[LabError] = WaitTimedOut, interval: float = POLL_INTERVAL) -> T:
    """Call ``probe`` until it returns something other than None; return that.

    For what cannot be watched (an HTTP URL, a registry). ``probe`` may raise a
    ``LabError`` to stop at once. Out of time: ``error`` with ``seen()`` as its state.

    >>> poll(lambda: 42, timeout=1, what="the answer")
    42
    >>> poll(lambda: None, timeout=0.3, what="nothing", seen=lambda: "still nothing")
    Traceback (most recent call last):
    ...
    helpers.errors.WaitTimedOut: nothing: not done within 0s
    still nothing
    Hint: read the state above and retry
    """
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result is not None:
            return result
        left = deadline - time.monotonic()
        if left <= 0:
            _timed_out(what, timeout, seen() if seen else "", hint, error, _("read the state above and retry"))
        time.sleep(min(interval, left))


def _timed_out(what: str, timeout: float, state: str, hint: str | Callable[[str], str], error: type[LabError],
               default_hint: str):
    text = hint(state) if callable(hint) else hint
    raise error(_("{what}: not done within {seconds:.0f}s").format(what=what, seconds=timeout), state=state,
                hint=text or default_hint)


def _hang_up(watcher: k8s_watch.Watch) -> None:
    """Stop a watch now: its thread is blocked reading the stream, so ending the
    connection (not only setting the stop flag, read at the next event) frees the
    thread and its pooled connection at once."""
    watcher.stop()
    connection = getattr(getattr(watcher, "_resp", None), "_connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed


def _name(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("name", "")


def _list(src: Source) -> tuple[dict[str, dict], str]:
    found = src.resource.get(namespace=src.namespace, label_selector=src.selector,
                             field_selector=src.field_selector).to_dict()
    return {_name(o): o for o in found.get("items") or []}, found["metadata"]["resourceVersion"]


def _stream(src: Source, watcher: k8s_watch.Watch, version: str, deadline: float, stop: threading.Event,
            events: queue.Queue) -> None:
    """Feed ``events`` with a source's changes until ``stop``; re-list after a gap (410 Gone,
    a dropped connection), so the view never misses a change."""
    while not stop.is_set() and time.monotonic() < deadline:
        seconds = max(1, min(_STREAM_SECONDS, int(deadline - time.monotonic()) + 1))
        try:
            for event in src.client.watch(src.resource, namespace=src.namespace, label_selector=src.selector,
                                          field_selector=src.field_selector, resource_version=version,
                                          timeout=seconds, watcher=watcher):
                if stop.is_set():
                    return
                obj = event["raw_object"]
                if event["type"] in ("ADDED", "MODIFIED", "DELETED"):
                    events.put((src.key, event["type"], obj))
                version = (obj.get("metadata") or {}).get("resourceVersion") or version
        except Exception as err:  # noqa: BLE001 - 410 Gone, a dropped connection: list again
            if stop.is_set():
                return
            if not (isinstance(err, ApiException) and err.status == 410):
                time.sleep(1)
            try:
                items, version = _list(src)
                events.put((src.key, "RESET", items))
            except Exception:  # noqa: BLE001 - the API server is away; the wait's deadline decides
                time.sleep(1)


def _summary(view: View) -> str:
    lines = []
    for key, objects in view.items():
        if not objects:
            lines.append(_("{key}: none").format(key=key))
        for name, obj in objects.items():
            conditions = ", ".join(f"{c.get('type')}={c.get('status')}"
                                   for c in (obj.get("status") or {}).get("conditions") or [])
            conditions = conditions or _("no conditions")
            lines.append(f"{key} {name}: {conditions}")
    return "\n".join(lines)
