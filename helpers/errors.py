"""The few exception classes kubelab raises.

Every message says what failed, the state that was seen, and a ``Hint:`` with
the fix, so a learner never has to read a traceback to know what to do.
"""

from __future__ import annotations

import os

from .i18n import _

# In a notebook a LabError shows as ERROR/state/Hint, like ``labctl`` prints it;
# KUBELAB_VERBOSE=1 (the notebook twin of ``labctl -v``) shows the whole traceback too.
VERBOSE = os.environ.get("KUBELAB_VERBOSE", "") not in ("", "0")


class LabError(Exception):
    """A failure a learner can act on.

    Args:
        what: one line, what failed.
        state: what was seen (pod phase, events, last log lines), may be empty.
        hint: the fix, as a command or a step.
        docs: a link to read more, optional.

    >>> e = LabError("image build failed", state="no Dockerfile", hint="add one")
    >>> print(e)
    image build failed
    no Dockerfile
    Hint: add one
    """

    def __init__(self, what: str, state: str = "", hint: str = "", docs: str = ""):
        self.what, self.state, self.hint, self.docs = what, state.rstrip(), hint, docs
        super().__init__(self.render())

    def add_cleanup_note(self, note: str) -> None:
        """Add what the cleanup after this error did (or failed to do): the error stays the
        one reported, the note follows its state.

        >>> e = DeployFailed("rollout failed", state="pod/x: CrashLoopBackOff", hint="read the logs")
        >>> e.add_cleanup_note("rolled back: deployment/x is at revision 1 again")
        >>> print(e)
        rollout failed
        pod/x: CrashLoopBackOff
        rolled back: deployment/x is at revision 1 again
        Hint: read the logs
        """
        self.state = f"{self.state}\n{note}".strip()
        self.args = (self.render(),)

    def render(self) -> str:
        lines = [self.what]
        if self.state:
            lines.append(self.state)
        if self.hint:
            lines.append(_("Hint: {hint}").format(hint=self.hint))
        if self.docs:
            lines.append(_("Docs: {docs}").format(docs=self.docs))
        return "\n".join(lines)

    @property
    def _render_traceback_(self):
        """IPython shows what this returns in place of the traceback (its hook for
        exceptions that render themselves). With ``VERBOSE`` the attribute is absent,
        so IPython prints the whole traceback.

        >>> ClusterError("no cluster", hint="labctl up")._render_traceback_()
        ['\\x1b[31mERROR: no cluster\\x1b[0m', 'Hint: labctl up', '(KUBELAB_VERBOSE=1 shows the traceback)']
        """
        if VERBOSE:
            raise AttributeError("_render_traceback_")
        head, *rest = self.render().split("\n")
        error = _("ERROR: {message}").format(message=head)
        return lambda: [f"\x1b[31m{error}\x1b[0m", *rest, _("(KUBELAB_VERBOSE=1 shows the traceback)")]


class DockerUnavailable(LabError):
    """The Docker engine cannot be reached."""


class BuildFailed(LabError):
    """An image build or push failed."""


class ManifestInvalid(LabError):
    """A manifest in ``k8s/`` is broken or breaks a lab rule."""

    def __init__(self, what: str, problems: list[str] | None = None, hint: str = "", docs: str = ""):
        self.problems = list(problems or [])
        state = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(what, state=state, hint=hint, docs=docs)


class ClusterError(LabError):
    """The kind cluster, the registry or the ingress controller is not as needed."""


class DeployFailed(LabError):
    """A rollout did not become ready, or the URL did not answer."""


class WaitTimedOut(LabError):
    """A wait ran out of time; its state is what was seen last (see :mod:`helpers.waiting`)."""


class PortInUse(LabError):
    """A host port the lab needs is taken by something else."""
