"""Lessons 06 and 07's "Your turn" checks, against real states: a git repository
made as the lesson makes it, a real image pushed to the registry, the learner's
file absent, wrong, then as the lesson's solution writes it. Each check must
fail on the start state and pass on the solved one."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from helpers import config, images, lessons, turns
from helpers.docker_client import client
from helpers.turns import l06, l07

pytestmark = pytest.mark.cluster
LESSONS = config.K8S_DIR / "lessons"


def kubectl_create(*args: str) -> str:
    return subprocess.run(["kubectl", "create", *args, "--dry-run=client", "-o", "yaml"], check=True,
                          capture_output=True, text=True).stdout


def lesson_repo(tmp_path, lesson: str, files: tuple[str, ...]):
    """The app and ``k8s/lessons/NN/`` files, committed, as the lesson's setup cell makes them."""
    repo = tmp_path / "hello"
    repo.mkdir()
    for name in ("Dockerfile", "app.py", "VERSION"):
        shutil.copy(lessons.HELLO / name, repo / name)
    (repo / "k8s").mkdir()
    for name in files:
        shutil.copy(LESSONS / lesson / name, repo / "k8s" / name)
    lessons.git(repo, "init", "-q", "-b", "main")
    lessons.git(repo, "add", ".")
    lessons.git(repo, "commit", "-qm", "hello v1")
    return repo


@pytest.fixture
def repo06(tmp_path, monkeypatch, lab_cluster):
    repo = lesson_repo(tmp_path, "06", ("deployment.yaml", "service.yaml"))
    monkeypatch.setattr(l06, "REPO", repo)
    return repo


@pytest.fixture
def repo07(tmp_path, monkeypatch, lab_cluster):
    repo = lesson_repo(tmp_path, "07", ("deployment.yaml", "ingress.yaml"))
    monkeypatch.setattr(l07, "REPO", repo)
    return repo


def push_as(tag: str, hello_image: str) -> str:
    """Push the test image under ``localhost:5001/hello:<tag>`` (a real push: the check asks the registry)."""
    image = f"{config.REGISTRY_HOST}/hello:{tag}"
    client().images.get(hello_image).tag(image)
    images.push(image, echo=False)
    return image


def set_image(repo, image: str) -> None:
    dep = repo / "k8s" / "deployment.yaml"
    dep.write_text(dep.read_text().replace("image: localhost:5001/hello:v1", f"image: {image}"))


def test_image_path_fails_until_the_pushed_path_is_copied_in(repo06, hello_image):
    start = turns.check("06", "image-path")
    assert not start.ok and "names localhost:5001/hello:v1" in start.seen, start
    sha = lessons.git(repo06, "rev-parse", "--short=10", "HEAD").strip()
    pushed = push_as(sha, hello_image)
    before = turns.check("06", "image-path")
    assert not before.ok and pushed in before.seen, before  # the symptom names what was pushed

    set_image(repo06, f"{config.REGISTRY_HOST}/hello:{sha[:7]}")  # a typo'd (shortened) tag: never pushed
    typo = turns.check("06", "image-path")
    assert not typo.ok and f"hello:{sha[:7]}" in typo.seen, typo

    dep = repo06 / "k8s" / "deployment.yaml"
    dep.write_text(dep.read_text().replace(f"image: {config.REGISTRY_HOST}/hello:{sha[:7]}", f"image: {pushed}"))
    done = turns.check("06", "image-path")
    assert done.ok, done


def test_image_path_refuses_a_pushed_tag_of_another_repository(repo06, hello_image):
    stranger = push_as("0123456789", hello_image)  # pushed, but no commit of this repository
    set_image(repo06, stranger)
    result = turns.check("06", "image-path")
    assert not result.ok and stranger in result.seen, result


def test_ingress_file_fails_absent_or_wrong_and_passes_as_written_from_kubectl_create(repo06):
    start = turns.check("06", "ingress-file")
    assert not start.ok and "no file" in start.seen, start
    ing = repo06 / "k8s" / "ingress.yaml"

    ing.write_text(kubectl_create("ingress", "hello", "--class=traefik", "--rule=hello-06.example.com/*=hello:80"))
    far = turns.check("06", "ingress-file")
    assert not far.ok and "do not end in .localhost" in far.seen, far

    ing.write_text(kubectl_create("ingress", "hello", "--class=traefik", "--rule=hello-06.localhost/*=web:80"))
    wrong = turns.check("06", "ingress-file")
    assert not wrong.ok and "'web' is not defined" in wrong.seen, wrong

    ing.write_text(kubectl_create("ingress", "hello", "--class=traefik", "--rule=hello-06.localhost/*=hello:8080"))
    port = turns.check("06", "ingress-file")
    assert not port.ok and "is not a port of Service/hello" in port.seen, port

    ing.write_text(kubectl_create("ingress", "hello", "--class=nginx", "--rule=hello-06.localhost/*=hello:80"))
    other = turns.check("06", "ingress-file")
    assert not other.ok and "ingressClassName is nginx" in other.seen, other

    ing.write_text(kubectl_create("ingress", "hello", "--rule=hello-06.localhost/*=hello:80"))
    assert turns.check("06", "ingress-file").ok  # no class: the cluster's default IngressClass (traefik)

    ing.write_text(kubectl_create("ingress", "hello", "--class=traefik", "--rule=hello-06.localhost/*=hello:80"))
    done = turns.check("06", "ingress-file")
    assert done.ok and "hello-06.localhost" in done.seen, done


def test_service_file_fails_absent_or_wrong_and_passes_as_written_from_kubectl_create(repo07):
    start = turns.check("07", "service-file")
    assert not start.ok and "no file" in start.seen, start
    svc = repo07 / "k8s" / "service.yaml"

    svc.write_text(kubectl_create("service", "clusterip", "web", "--tcp=80:8080"))
    named = turns.check("07", "service-file")
    assert not named.ok and "Service 'hello'" in named.seen, named

    svc.write_text(kubectl_create("service", "clusterip", "hello", "--tcp=80:80"))
    target = turns.check("07", "service-file")
    assert not target.ok and "targetPort 80 is not a containerPort" in target.seen, target

    svc.write_text(kubectl_create("service", "clusterip", "hello", "--tcp=80:8080"))
    done = turns.check("07", "service-file")
    assert done.ok, done
