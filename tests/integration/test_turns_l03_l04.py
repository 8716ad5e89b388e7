"""Lessons 03 and 04's "Your turn" checks on the real cluster: each fails on the
state the learner starts from (or a likely mistake) with the symptom, and passes
once the task is done."""

from __future__ import annotations

import copy

import pytest
import yaml

from helpers import config, kube, lessons
from helpers.shell import run
from helpers.turns import l03, l04

pytestmark = pytest.mark.cluster

LESSON_03 = config.REPO_ROOT / "k8s" / "lessons" / "03"


@pytest.fixture(scope="module")
def hello_v1(lab_cluster):
    """localhost:5001/hello:v1, the plain tag the lessons' manifests and skeletons name."""
    return lessons.hello_image("v1", plain=True)


def skeleton(*args: str) -> dict:
    """What the learner starts from: kubectl's own --dry-run=client -o yaml output."""
    return yaml.safe_load(run(["kubectl", *args, "--dry-run=client", "-o", "yaml"]).stdout)


def apply(doc: dict, namespace: str) -> None:
    """As the learner does it: kubectl apply of the file's text."""
    run(["kubectl", "apply", "-n", namespace, "-f", "-"], input=yaml.safe_dump(doc))


def delete_pod(name: str, namespace: str) -> None:
    run(["kubectl", "delete", "pod", name, "-n", namespace, "--wait=true"])


def with_probe(container: dict, port=8080) -> dict:
    return {**container, "imagePullPolicy": "Always",
            "readinessProbe": {"httpGet": {"path": "/healthz", "port": port}, "periodSeconds": 1}}


def test_pod_label(namespace, hello_v1):
    assert not l03.pod_label(namespace).ok
    pod = yaml.safe_load((LESSON_03 / "pod.yaml").read_text())
    apply(pod, namespace)
    start = l03.pod_label(namespace)
    assert not start.ok and start.seen == "pod web has labels {app: web}: no tier label yet"

    wrong = copy.deepcopy(pod)
    wrong["metadata"]["labels"]["tier"] = "back"
    apply(wrong, namespace)
    assert "tier is 'back', not front" in l03.pod_label(namespace).seen

    pod["metadata"]["labels"]["tier"] = "front"
    apply(pod, namespace)
    done = l03.pod_label(namespace)
    assert done.ok and done.seen == "pod web has labels {app: web, tier: front}"


def test_my_pod(namespace, hello_v1):
    absent = l03.my_pod(namespace)
    assert not absent.ok and "no pod/hello" in absent.seen

    pod = skeleton("run", "hello", f"--image={hello_v1}", "--labels=app=hello", "--port=8080")
    apply(pod, namespace)
    assert l03.my_pod(namespace).seen == "pod hello pulls its image with imagePullPolicy IfNotPresent"
    delete_pod("hello", namespace)

    # A probe on the wrong port: the pod runs but is never Ready; the check names the probe.
    pod["spec"]["containers"][0] = with_probe(pod["spec"]["containers"][0], port=8081)
    apply(pod, namespace)
    assert l03.my_pod(namespace).seen == "pod hello's readinessProbe asks GET /healthz on port 8081"
    delete_pod("hello", namespace)

    pod["spec"]["containers"][0] = with_probe(pod["spec"]["containers"][0])
    apply(pod, namespace)
    kube.wait("pod/hello", "condition=Ready", namespace=namespace, timeout=120)
    done = l03.my_pod(namespace)
    assert done.ok, done.seen


def test_my_deployment(namespace, hello_v1):
    absent = l04.my_deployment(namespace)
    assert not absent.ok and "no deployment/hello" in absent.seen

    dep = skeleton("create", "deployment", "hello", f"--image={hello_v1}", "--port=8080")
    apply(dep, namespace)
    assert l04.my_deployment(namespace).seen == "deployment hello asks for 1 replicas"

    dep["spec"]["replicas"] = 2
    apply(dep, namespace)
    assert l04.my_deployment(namespace).seen == "deployment hello pulls its image with imagePullPolicy IfNotPresent"

    spec = dep["spec"]["template"]["spec"]
    spec["containers"][0] = with_probe(spec["containers"][0])
    del spec["containers"][0]["readinessProbe"]
    apply(dep, namespace)
    assert l04.my_deployment(namespace).seen == "deployment hello has no readinessProbe"

    spec["containers"][0] = with_probe(spec["containers"][0])
    apply(dep, namespace)
    kube.rollout_status("hello", namespace, timeout=180)
    done = l04.my_deployment(namespace)
    assert done.ok, done.seen
