"""Step lines (✓/✗ with timings) and progress that works in a terminal and in JupyterLab."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from .errors import LabError


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where ipywidgets can render)."""
    try:
        from IPython import get_ipython  # noqa: PLC0415

        shell = get_ipython()
        return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"
    except ImportError:
        return False


@dataclass
class StepResult:
    """One step of a multi-step action: its name, whether it passed, how long it took."""

    name: str
    ok: bool
    seconds: float
    detail: str = ""

    def line(self) -> str:
        mark = "✓" if self.ok else "✗"
        detail = f" — {self.detail}" if self.detail else ""
        return f"{mark} {self.name} ({self.seconds:.1f}s){detail}"


@dataclass
class Steps:
    """Runs named steps, prints a ✓/✗ line per step, keeps the results.

    >>> steps = Steps(echo=False)
    >>> with steps.step("add") as s:
    ...     s.detail = "1+1=2"
    >>> steps.results[0].ok, steps.results[0].detail
    (True, '1+1=2')
    """

    echo: bool = True
    results: list[StepResult] = field(default_factory=list)

    @contextmanager
    def step(self, name: str) -> Iterator[StepResult]:
        result = StepResult(name, ok=False, seconds=0.0)
        started = time.monotonic()
        try:
            yield result
            result.ok = True
        except LabError as err:
            result.detail = err.what
            raise
        except Exception as err:  # noqa: BLE001 - reported, then re-raised
            result.detail = f"{type(err).__name__}: {err}"
            raise
        finally:
            result.seconds = time.monotonic() - started
            self.results.append(result)
            if self.echo:
                print(result.line(), flush=True)


class Progress:
    """A progress bar: an ipywidgets bar in JupyterLab, a text bar in a terminal.

    >>> p = Progress("layers", total=2, echo=False)
    >>> p.update(1); p.update(2); p.close()
    >>> p.value
    2
    """

    def __init__(self, label: str, total: int | None = None, echo: bool = True):
        self.label, self.total, self.value, self.echo = label, total, 0, echo
        self._widget = None
        self._last_text = 0.0
        if echo and in_notebook():
            import ipywidgets as widgets  # noqa: PLC0415
            from IPython.display import display  # noqa: PLC0415

            self._widget = widgets.IntProgress(value=0, min=0, max=total or 1, description=label[:20])
            self._text = widgets.Label("")
            display(widgets.HBox([self._widget, self._text]))

    def update(self, value: int, message: str = "", total: int | None = None) -> None:
        self.value = value
        if total:
            self.total = total
        if not self.echo:
            return
        if self._widget is not None:
            self._widget.max = self.total or max(value, 1)
            self._widget.value = value
            self._text.value = message[:80]
            return
        now = time.monotonic()
        if now - self._last_text < 0.5 and value != self.total:
            return
        self._last_text = now
        if self.total:
            filled = int(30 * value / self.total)
            bar = "#" * filled + "." * (30 - filled)
            text = f"\r{self.label} [{bar}] {value}/{self.total} {message[:40]}"
        else:
            text = f"\r{self.label} {value} {message[:60]}"
        sys.stdout.write(text.ljust(100))
        sys.stdout.flush()

    def close(self) -> None:
        if self.echo and self._widget is None:
            sys.stdout.write("\n")
            sys.stdout.flush()
