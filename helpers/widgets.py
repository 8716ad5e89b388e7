"""Live views for JupyterLab, with a text fallback elsewhere: a pod table that
refreshes while something happens (a pod deleted, a rollout)."""

from __future__ import annotations

import html
import time

from . import kube
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
