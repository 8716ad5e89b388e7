"""The "Your turn" checks of lessons 00 and 08 fail on the lesson's start state
and pass on the solved one, both made for real on the lab cluster."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from helpers import config, kube, waiting
from helpers.turns import l00, l08

pytestmark = pytest.mark.cluster

LESSON_08 = config.K8S_DIR / "lessons" / "08"


def _kubectl(*args: str) -> str:
    return subprocess.run(["kubectl", "--context", config.KIND_CONTEXT, *args], check=True,
                          capture_output=True, text=True).stdout


def test_node_facts_reads_the_learners_file(lab_cluster, tmp_path):
    answer = tmp_path / "answer.txt"
    start = l00.node_facts(answer)
    assert not start.ok and "no file" in start.seen

    node = kube.get("node", None, None)[0]["status"]["nodeInfo"]
    kubelet, runtime = node["kubeletVersion"], node["containerRuntimeVersion"]
    answer.write_text("v1.0.0 docker://1.0\n")
    wrong = l00.node_facts(answer)
    assert not wrong.ok and "no word" in wrong.seen
    assert kubelet not in wrong.seen and runtime not in wrong.seen, "the symptom must not give the answer away"

    answer.write_text(f"{kubelet}\n")
    half = l00.node_facts(answer)
    assert not half.ok and "kubelet version is there" in half.seen

    # The solved state, written as the lesson suggests: kubectl's own output.
    answer.write_text(_kubectl("get", "nodes", "-o", "jsonpath={.items[0].status.nodeInfo.kubeletVersion} "
                               "{.items[0].status.nodeInfo.containerRuntimeVersion}") + "\n")
    solved = l00.node_facts(answer)
    assert solved.ok, solved


def _deployments(image: str) -> list[dict]:
    """back.yaml and front.yaml as the lesson applies them, with the test's image."""
    docs = []
    for name in ("back.yaml", "front.yaml"):
        for doc in yaml.safe_load_all((LESSON_08 / name).read_text()):
            if doc["kind"] == "Deployment":
                doc["spec"]["template"]["spec"]["containers"][0]["image"] = image
            docs.append(doc)
    return docs


def _draft_service() -> dict:
    """The learner's starting point: kubectl's own draft, as the lesson runs it."""
    return yaml.safe_load(_kubectl("create", "service", "clusterip", "back", "--tcp=80:8080",
                                   "--dry-run=client", "-o", "yaml"))


def test_back_service_check_follows_the_service(namespace, hello_image):
    kube.apply(_deployments(hello_image), namespace)
    for dep in ("back", "front"):
        kube.rollout_status(dep, namespace)

    start = l08.back_service(namespace)
    assert not start.ok and "no service/back" in start.seen

    draft = _draft_service()
    kube.apply([draft], namespace)
    picks_none = l08.back_service(namespace)
    assert not picks_none.ok and "no pod" in picks_none.seen and "{app: back}" in picks_none.seen

    too_wide = _draft_service()
    too_wide["spec"]["selector"] = {"app": "shop"}
    kube.apply([too_wide], namespace)
    both_tiers = l08.back_service(namespace)
    assert not both_tiers.ok and "not back pods" in both_tiers.seen and "front-" in both_tiers.seen

    wrong_port = _draft_service()
    wrong_port["spec"]["selector"] = {"app": "shop", "tier": "back"}
    wrong_port["spec"]["ports"][0]["targetPort"] = 8081
    kube.apply([wrong_port], namespace)
    deaf = l08.back_service(namespace)
    assert not deaf.ok and "8081" in deaf.seen

    solved = _draft_service()
    solved["spec"]["selector"] = {"app": "shop", "tier": "back"}
    kube.apply([solved], namespace)
    result = waiting.poll(lambda: (r := l08.back_service(namespace)).ok and r or None, timeout=30,
                          what="the back Service's check to pass")
    assert "2 ready endpoint" in result.seen

    # And the front really reaches the back through the name the check vouched for. The
    # check reads the EndpointSlices, and the node's service rules follow them a moment later
    # (one CI run got HTTP 404 from back just after the check passed): a few tries are allowed.
    reached = '"upstream": {"message": "back: stock and prices"'
    answers = []

    def front_reaches_back():
        answers.append(_kubectl("exec", "deploy/front", "-n", namespace, "--", "python", "-c",
                                "import urllib.request as u; print(u.urlopen('http://front/api').read().decode())"))
        return reached in answers[-1] or None

    waiting.poll(front_reaches_back, timeout=30, interval=2, what="the front reaching the back",
                 seen=lambda: answers[-1] if answers else "")
