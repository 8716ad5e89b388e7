"""kubelab helpers: the real work behind the notebooks and ``labctl``.

Every object the suite creates carries ``app.kubernetes.io/part-of=kubelab``
so that ``labctl reset`` removes exactly what the labs made.
"""

__version__ = "0.1.0"

from . import pty_output as _pty_output

# a kernel's `!kubectl …` keeps its last line when the machine is busy (pty_output's docstring)
_pty_output.install()
