"""Rollouts judged like kubectl, on the real cluster: a state that waiting will not heal
ends the wait within seconds with its diagnosis; a wait that runs out says what it saw;
``rollout_undo`` replaces the pod template whole, as ``kubectl rollout undo`` does."""

from __future__ import annotations

import copy
import time

import pytest

from helpers import kube
from helpers.errors import DeployFailed

pytestmark = pytest.mark.cluster


def web(image: str, name: str = "web", replicas: int = 1, **container) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"terminationGracePeriodSeconds": 1,
                                           "containers": [{"name": "web", "image": image, **container}]}}}}


def fails_fast(namespace: str, doc: dict, within: float = 60) -> DeployFailed:
    kube.apply([doc], namespace)
    started = time.monotonic()
    with pytest.raises(DeployFailed) as err:
        kube.rollout_status(doc["metadata"]["name"], namespace, timeout=240)
    assert time.monotonic() - started < within, (time.monotonic() - started, err.value.state)
    return err.value


def test_image_that_cannot_be_pulled_ends_the_rollout_in_seconds(namespace, hello_image):
    err = fails_fast(namespace, web(hello_image.rsplit(":", 1)[0] + ":never-pushed"))
    assert "ErrImagePull" in err.state or "ImagePullBackOff" in err.state, err.state
    assert "cannot finish rolling out" in err.what and "pushed" in err.hint


def test_missing_configmap_ends_the_rollout_in_seconds(namespace, hello_image):
    err = fails_fast(namespace, web(hello_image, envFrom=[{"configMapRef": {"name": "not-there"}}]))
    assert "CreateContainerConfigError" in err.state and "not-there" in err.state, err.state


def test_unschedulable_pod_ends_the_rollout_in_seconds(namespace, hello_image):
    err = fails_fast(namespace, web(hello_image, resources={"requests": {"cpu": "500"}}), within=30)
    assert "Unschedulable" in err.state and "Insufficient cpu" in err.state, err.state
    assert "room" in err.hint


# A pod without a readiness probe counts as Ready the moment its container runs, so a
# container killed a moment later could let the rollout finish first: these never answer.
NEVER_READY = {"readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1}}


def test_out_of_memory_ends_the_rollout(namespace, hello_image):
    err = fails_fast(namespace, web(hello_image, command=["/bin/python", "-c", "b = bytearray(200 * 1024 * 1024)"],
                                    resources={"limits": {"memory": "32Mi"}}, **NEVER_READY))
    assert "OOMKilled" in err.state, err.state


def test_crash_loop_ends_the_rollout_with_the_log_tail(namespace, hello_image):
    err = fails_fast(namespace, web(hello_image, command=["/bin/python", "-c", "raise SystemExit('no config file')"],
                                    **NEVER_READY))
    assert "CrashLoopBackOff" in err.state and "no config file" in err.state, err.state


def test_a_wait_that_runs_out_says_what_it_saw(namespace, hello_image):
    # Never Ready (the probe asks a port nothing listens on), yet nothing the kubelet
    # calls broken: only the timeout ends it, with the pod states and events seen.
    doc = web(hello_image, readinessProbe={"tcpSocket": {"port": 9999}, "periodSeconds": 1})
    kube.apply([doc], namespace)
    with pytest.raises(DeployFailed) as err:
        kube.rollout_status("web", namespace, timeout=8)
    assert err.value.what == "deployment/web rolling out: not done within 8s"
    assert "0 of 1 updated replicas are available" in err.value.state and "pod/web-" in err.value.state
    with pytest.raises(DeployFailed) as err:
        kube.wait("deployment/web", "condition=Available", namespace=namespace, timeout=3)
    assert "not done within 3s" in err.value.what and "pod/web-" in err.value.state


def test_wait_and_delete_watch_until_done(namespace, hello_image):
    kube.apply([web(hello_image)], namespace)
    assert kube.wait("deployment/web", "condition=Available", namespace=namespace, timeout=90)["kind"] == "Deployment"
    kube.delete([web(hello_image)], namespace, wait=True, timeout=60)
    assert kube.get("deployment", "web", namespace) is None
    assert kube.wait("deployment/web", "delete", namespace=namespace, timeout=5) == {}


def test_undo_replaces_the_template_whole_like_kubectl(namespace, hello_image):
    v1 = web(hello_image, replicas=2)
    kube.apply([v1], namespace)
    kube.rollout_status("web", namespace, timeout=90)
    v1_live = kube.get("deployment", "web", namespace)["spec"]["template"]
    v2 = copy.deepcopy(v1)
    pod = v2["spec"]["template"]["spec"]
    pod["containers"][0]["env"] = [{"name": "MODE", "value": "v2"}]
    pod["containers"].append({"name": "sidecar", "image": hello_image,
                              "command": ["/bin/python", "-c", "import time; time.sleep(3600)"]})
    kube.apply([v2], namespace)
    kube.rollout_status("web", namespace, timeout=90)
    assert kube.rollout_undo("web", namespace) == hello_image
    done = kube.rollout_status("web", namespace, timeout=90)
    assert done["revision"] == "3"
    assert kube.get("deployment", "web", namespace)["spec"]["template"] == v1_live  # env and sidecar gone
    # Undo again goes back to v2 (kubectl's "previous revision"), and to_revision picks one.
    kube.rollout_undo("web", namespace)
    assert len(kube.get("deployment", "web", namespace)["spec"]["template"]["spec"]["containers"]) == 2
    kube.rollout_undo("web", namespace, to_revision=3)
    kube.rollout_status("web", namespace, timeout=90)
    assert kube.get("deployment", "web", namespace)["spec"]["template"] == v1_live
