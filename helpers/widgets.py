"""Live views for JupyterLab, with a text fallback elsewhere: a pod table that
refreshes while something happens (a pod deleted, a rollout)."""

from __future__ import annotations

import html
import time

from . import kube
from .i18n import _
from .progress import in_notebook

COLUMNS = ("name", "ready", "status", "restarts", "node")


def pod_rows_html(rows: list[dict]) -> str:
    """An HTML table of ``kube.pod_table`` rows, statuses coloured."""
    colour = {"Running": "#1a7f37", "Pending": "#9a6700", "Terminating": "#6e7781"}
    head = "".join(f"<th style='text-align:left;padding:0 8px'>{c}</th>" for c in COLUMNS)
    body = ""
    for r in rows:
        cells = ""
        for c in COLUMNS:
            value = html.escape(str(r.get(c) or ""))
            style = f"color:{colour.get(r['status'], '#cf222e')}" if c == "status" else ""
            cells += f"<td style='padding:0 8px;{style}'>{value}</td>"
        body += f"<tr>{cells}</tr>"
    return f"<table><tr>{head}</tr>{body}</table>"


def pod_rows_text(rows: list[dict]) -> str:
    """The same rows as text, like ``kubectl get pods``."""
    lines = ["  ".join(f"{c.upper():<12}" for c in COLUMNS)]
    lines += ["  ".join(f"{str(r.get(c) or ''):<12}" for c in COLUMNS) for r in rows]
    return "\n".join(lines)


def watch_pods(namespace: str, selector: str | None = None, seconds: float = 10, interval: float = 0.5,
               context: str | None = None) -> list[dict]:
    """Show the pod table live for ``seconds`` (an ipywidgets HTML view in JupyterLab,
    a printed table at the end elsewhere); returns the last rows.

    Twin: ``kubectl get pods -w -n NAMESPACE -l SELECTOR``
    """
    rows = kube.pod_table(namespace, selector, context=context)
    view = None
    if in_notebook():
        import ipywidgets as widgets  # noqa: PLC0415
        from IPython.display import display  # noqa: PLC0415

        view = widgets.HTML(pod_rows_html(rows))
        display(view)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(interval)
        rows = kube.pod_table(namespace, selector, context=context)
        if view is not None:
            view.value = pod_rows_html(rows)
    if view is None:
        print(pod_rows_text(rows))
    return rows


def rollout_line(p: dict) -> str:
    """One line of a rollout's progress.

    >>> rollout_line({"want": 3, "updated": 2, "available": 3, "pods": 4})
    'new pods 2/3, available 3/3, pods running 4 (2 old one(s) still to go)'
    """
    old = max(p["pods"] - min(p["updated"], p["want"]), 0)
    return (_("new pods {updated}/{want}, available {available}/{want}, pods running {pods} "
              "({old} old one(s) still to go)")
            .format(updated=p["updated"], want=p["want"], available=p["available"], pods=p["pods"], old=old))


def watch_rollout(deployment: str, namespace: str = "default", *, timeout: float = 180,
                  context: str | None = None) -> dict:
    """Wait for a rollout while showing it: a progress bar of new pods in JupyterLab,
    a line per change elsewhere. Returns what :func:`helpers.kube.rollout_status` returns.

    Twin: ``kubectl rollout status deployment/NAME``
    """
    bar = label = None
    if in_notebook():
        import ipywidgets as widgets  # noqa: PLC0415
        from IPython.display import display  # noqa: PLC0415

        bar = widgets.IntProgress(value=0, min=0, max=1, description=_("{name} rollout").format(name=deployment[:12]))
        label = widgets.Label("")
        display(widgets.HBox([bar, label]))
    last = ""

    def show(p: dict) -> None:
        nonlocal last
        line = rollout_line(p)
        if bar is not None:
            bar.max = max(p["want"], 1)
            bar.value = min(p["updated"], p["available"])
            label.value = line
        elif line != last:
            print(line, flush=True)
        last = line

    result = kube.rollout_status(deployment, namespace, timeout=timeout, context=context, progress=show)
    if bar is not None:
        bar.bar_style = "success"
    return result
