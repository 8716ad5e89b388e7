"""Loaded for every test path, the notebooks too."""

import os
import tempfile
from pathlib import Path

import pytest

# lab.sh test's two phases and the groups of its second
from tests import phases

# Lessons and labs run unattended under nbval: a collapsed cell may then stand in
# for what a learner types (a manifest they write). A learner's kernel never has it.
os.environ.setdefault("KUBELAB_NBVAL", "1")

# A pytest-xdist worker's `labctl pipeline` or `reset` must not wait for another worker's (and
# print that it waits into a notebook's output): each worker takes its own lab lock.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("KUBELAB_LOCK_DIR", str(Path(tempfile.gettempdir()) / "kubelab-locks"
                                                  / os.environ["PYTEST_XDIST_WORKER"]))

# Saved outputs are English; a machine whose locale is Korean must still compare them.
# A test of the Korean messages sets KUBELAB_LANG=ko itself.
os.environ["KUBELAB_LANG"] = "en"


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by the mark
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith(phases.ALONE):
            item.add_marker(pytest.mark.alone)
    if getattr(config.option, "numprocesses", None):  # the workers report this order
        first: dict[str, int] = {}
        for index, item in enumerate(items):
            first.setdefault(phases.group(item.nodeid), index)

        def key(pair):
            name = phases.group(pair[1].nodeid)
            return phases.rank(name), first[name], pair[0]

        items[:] = [item for _, item in sorted(enumerate(items), key=key)]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` by phases.group(): xdist's own reads ``xdist_group`` marks through a
    rewrite of each test's ID that pytest 9 no longer shows, and then splits a notebook's
    cells across workers (each would start a new kernel)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return phases.group(nodeid)

    return GroupScheduling(config, log)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A notebook cell whose outputs differ: nbval names only what is missing, so the report
    also shows what this run printed (a command's real output, or none at all)."""
    report = yield
    outputs = getattr(item, "test_outputs", None)  # nbval's cell item keeps them
    if report.failed and call.when == "call" and outputs is not None:
        lines = []
        for out in outputs:
            kind = out.get("output_type")
            if kind == "stream":
                lines.append(f"[{out.get('name')}] {out.get('text', '')[:2000]}")
            elif kind in ("display_data", "execute_result"):
                lines.append(f"[{kind}] {str(out.get('data', {}).get('text/plain', ''))[:2000]}")
            else:
                lines.append(f"[{kind}] {out.get('ename', '')}: {out.get('evalue', '')}")
        report.sections.append(("outputs of this run", "\n".join(lines) or "(no output at all)"))
        log = getattr(getattr(getattr(item.parent, "kernel", None), "km", None), "kubelab_stderr", None)
        if log and Path(log).exists():
            # what the kernel itself wrote (ipykernel reports a stalled output thread there)
            report.sections.append(("the kernel's stderr, last lines", Path(log).read_text()[-3000:]))
    return report


_KERNEL_LOGS: list[str] = []


def pytest_configure(config):
    """nbval starts each notebook's kernel with its stderr sent to /dev/null; keep it in a
    file instead, for the report of a failing cell (above)."""
    try:
        from nbval import kernel
    except ImportError:
        return
    start = kernel.start_new_kernel

    def start_new_kernel(*args, **kwargs):
        with tempfile.NamedTemporaryFile("w", prefix="kubelab-kernel-", suffix=".log", delete=False) as log:
            _KERNEL_LOGS.append(log.name)
        with open(log.name, "w") as kwargs["stderr"]:  # the kernel process has its own copy
            km, kc = start(*args, **kwargs)
        km.kubelab_stderr = log.name
        return km, kc

    kernel.start_new_kernel = start_new_kernel


def pytest_unconfigure(config):
    for name in _KERNEL_LOGS:
        Path(name).unlink(missing_ok=True)
