"""Shared fixtures: the real cluster (session-wide), a namespace per test, the
sample app's image built and pushed once."""

from __future__ import annotations

import hashlib
import os
import socket
import time
import uuid
from pathlib import Path

import pytest

from helpers import config



@pytest.fixture(scope="session")
def mode():
    return config.detect_mode()


@pytest.fixture(scope="session")
def lab_cluster(mode):
    """The lab cluster, brought up if it is not (lab.sh test has normally done it)."""
    from helpers import cluster

    if not cluster.exists():
        cluster.up(offline=mode.offline, echo=False)
    cluster.wait_nodes_ready(timeout=120)
    return cluster.info()


#: Which run made a test namespace: pytest-xdist's workers share their run's ID, so one
#: worker's cleanup of earlier runs never deletes another worker's namespaces.
RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
RUN_LABEL = "kubelab-test-run"


@pytest.fixture(scope="session")
def _stale_test_namespaces(lab_cluster):
    """Cleanup before: namespaces a previous run left behind are deleted (not awaited)."""
    from helpers import kube

    selector = f"{config.LAB_LABEL}=tests,{RUN_LABEL}!={RUN_ID}"
    for ns in kube.core().list_namespace(label_selector=selector).items:
        if ns.status.phase == "Active":
            kube.delete_namespace(ns.metadata.name, wait=False)


@pytest.fixture
def namespace(request, lab_cluster, _stale_test_namespaces):
    """A fresh namespace for one test (unique per run), removed after it."""
    from helpers import kube

    digest = hashlib.sha1(f"{request.node.nodeid}{os.getpid()}{time.time()}".encode()).hexdigest()[:6]
    name = f"t-{request.node.name[5:35].lower().replace('_', '-')}-{digest}"
    name = "".join(ch for ch in name if ch.isalnum() or ch == "-").strip("-")
    kube.ensure_namespace(name, lab="tests", labels={RUN_LABEL: RUN_ID})
    yield name
    kube.delete_namespace(name, wait=False)


@pytest.fixture(scope="session")
def hello_image(lab_cluster, mode):
    """The sample app built from apps/hello and pushed to the local registry."""
    from helpers import images

    tag = f"{config.REGISTRY_HOST}/hello-test:{_tree_tag()}"
    images.build(config.REPO_ROOT / "apps" / "hello", tag, mode=mode, echo=False)
    images.push(tag, echo=False)
    return tag


def _tree_tag() -> str:
    from helpers.pipeline import source_tag

    return "t-" + source_tag(config.REPO_ROOT / "apps" / "hello").replace("-dirty-", "-d")


@pytest.fixture
def sample_repo(tmp_path):
    """A git repository holding a copy of the sample app, as a learner's would."""
    from helpers import lessons

    return lessons.learner_repo(tmp_path)


def commit(repo: Path, message: str) -> None:
    from helpers import lessons

    lessons.git(repo, "commit", "-qam", message)


def free_port() -> int:
    """A TCP port nothing listens on now (for a throwaway server or port mapping)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_kubeconfig(context_name: str) -> dict:
    """The lab cluster's kubeconfig on its own (``kubectl config view --raw --minify``),
    its one context renamed ``context_name`` and made current."""
    import yaml

    from helpers.shell import run

    kubeconfig = yaml.safe_load(run(["kubectl", "config", "view", "--raw", "--minify",
                                     "--context", config.KIND_CONTEXT]).stdout)
    kubeconfig["contexts"][0]["name"] = kubeconfig["current-context"] = context_name
    return kubeconfig
