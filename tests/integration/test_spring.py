"""The second sample app, apps/spring-hello (Spring Boot, Maven, Java 17), through the
same pipeline as apps/hello: `labctl pipeline` builds its multi-stage Dockerfile (on
the offline kit's JDK and JRE images when offline), pushes, deploys, and the app
answers through its Ingress."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import config, images, kube, lessons, pipeline
from helpers.docker_client import client

LABCTL = str(Path(sys.executable).with_name("labctl"))
SPRING = config.REPO_ROOT / "apps" / "spring-hello"


@pytest.fixture
def spring_repo(tmp_path, namespace):
    """A git repository holding a copy of apps/spring-hello, with its own Ingress host."""
    repo = tmp_path / "spring-hello"
    shutil.copytree(SPRING, repo, ignore=shutil.ignore_patterns("target"))
    ing = repo / "k8s" / "ingress.yaml"
    ing.write_text(ing.read_text().replace("host: spring-hello.localhost", f"host: {namespace}.localhost"))
    lessons.git(repo, "init", "-q", "-b", "main")
    lessons.git(repo, "add", ".")
    lessons.git(repo, "commit", "-qm", "spring-hello v1")
    return repo


def test_the_dockerfile_names_two_public_bases_and_the_kit_builds_both():
    online = images.base_args(SPRING / "Dockerfile", config.Mode(offline=False))
    assert online == {"BUILD_IMAGE": "maven:3.9-eclipse-temurin-17", "RUN_IMAGE": "eclipse-temurin:17-jre"}
    listed = set(subprocess.run(["bash", str(config.KIT_DIR / "build.sh"), "--list"], capture_output=True,
                                text=True, check=True).stdout.split())
    offline = images.base_args(SPRING / "Dockerfile", config.Mode(offline=True))
    assert set(offline) == set(online) and set(offline.values()) <= listed, (offline, listed)


@pytest.mark.cluster
def test_labctl_pipeline_deploys_spring_hello_and_it_answers_through_the_ingress(spring_repo, namespace, mode):
    proc = subprocess.run([LABCTL, "pipeline", "--repo", str(spring_repo), "--namespace", namespace],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    print(proc.stdout[-1500:])  # the steps and their times, shown with -rP
    url = f"http://{namespace}.localhost/"
    assert proc.stdout.strip().splitlines()[-1] == url

    # The JSON answer, as apps/hello's /api: the version in VERSION and the pod that served.
    pods = {p.metadata.name for p in kube.core().list_namespaced_pod(namespace, label_selector="app=spring-hello").items}
    answers = [pipeline.get(url + "api") for _ in range(8)]
    assert all(a.status_code == 200 and a.headers["Content-Type"].startswith("application/json") for a in answers)
    bodies = [a.json() for a in answers]
    assert {b["version"] for b in bodies} == {"v1"}, bodies
    assert {b["pod"] for b in bodies} <= pods and len(pods) == 2, (bodies, pods)
    assert "version=v1 pod=" in pipeline.get(url).text
    # What the readiness probe asks, through the Ingress too.
    health = pipeline.get(url + "actuator/health/readiness")
    assert health.status_code == 200 and json.loads(health.text)["status"] == "UP"

    # The image: built from the Dockerfile's run stage base (the kit's JRE offline), as a numeric non-root user.
    image = kube.get("deployment", "spring-hello", namespace)["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.startswith(f"{config.REGISTRY_HOST}/spring-hello:")
    attrs = client().images.get(image).attrs
    assert attrs["Config"]["User"] == "10001:10001"
    run_base = client().images.get(mode.image("eclipse-temurin:17-jre")).attrs["RootFS"]["Layers"]
    assert attrs["RootFS"]["Layers"][:len(run_base)] == run_base
    uid = subprocess.run(["kubectl", "--context", config.KIND_CONTEXT, "exec", "-n", namespace,
                          "deploy/spring-hello", "--", "id", "-u"], capture_output=True, text=True, check=True)
    assert uid.stdout.strip() == "10001"
    # No JDK in the pod: the compiler and Maven stayed in the build stage.
    javac = subprocess.run(["kubectl", "--context", config.KIND_CONTEXT, "exec", "-n", namespace,
                            "deploy/spring-hello", "--", "sh", "-c", "command -v javac || echo none"],
                           capture_output=True, text=True, check=True)
    assert javac.stdout.strip() == "none"
