"""kubelab helpers: the real work behind the notebooks and ``labctl``.

Every object the suite creates carries ``app.kubernetes.io/part-of=kubelab``
so that ``labctl reset`` removes exactly what the labs made.
"""

__version__ = "0.1.0"
