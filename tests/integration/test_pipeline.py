"""The full pipeline on the sample app, for real: first deploy, an update after a
code change, and the failures that must leave nothing half-done."""

from __future__ import annotations

import pytest

from helpers import kube, pipeline
from helpers.errors import BuildFailed, DeployFailed, ManifestInvalid

from ..conftest import commit

pytestmark = pytest.mark.cluster


def own_host(repo, namespace):
    """Give the copy its own Ingress host so tests never share a route."""
    ing = repo / "k8s" / "ingress.yaml"
    ing.write_text(ing.read_text().replace("host: hello.localhost", f"host: {namespace}.localhost"))
    commit(repo, "own host")


def test_first_deploy_then_code_change_rolls_out_v2(sample_repo, namespace):
    own_host(sample_repo, namespace)
    first = pipeline.run(sample_repo, namespace=namespace, echo=False)
    assert first.first_deploy and first.url == f"http://{namespace}.localhost/"
    assert "version=v1" in first.body and first.image.startswith("localhost:5001/hello:")
    assert [s.ok for s in first.steps] == [True] * 7
    assert pipeline.get(first.url).status_code == 200

    (sample_repo / "VERSION").write_text("v2\n")
    commit(sample_repo, "hello v2")
    second = pipeline.run(sample_repo, namespace=namespace, echo=False)
    assert not second.first_deploy and second.image != first.image
    assert "version=v2" in pipeline.get(second.url).text
    dep = kube.get("deployment", "hello", namespace)
    assert dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"


def test_failed_rollout_is_undone_and_v1_keeps_serving(sample_repo, namespace):
    own_host(sample_repo, namespace)
    first = pipeline.run(sample_repo, namespace=namespace, echo=False)
    # A version whose process dies at start: the rollout can never finish.
    (sample_repo / "app.py").write_text("raise SystemExit('broken build: missing config')\n")
    (sample_repo / "VERSION").write_text("v2-broken\n")
    commit(sample_repo, "broken")
    with pytest.raises(DeployFailed) as err:
        pipeline.run(sample_repo, namespace=namespace, echo=False, timeout=45)
    assert "rolled back" in err.value.hint
    assert "CrashLoopBackOff" in err.value.state or "Error" in err.value.state, err.value.state
    kube.rollout_status("hello", namespace, timeout=60)
    assert "version=v1" in pipeline.get(first.url).text
    images = {c["image"] for c in kube.get("deployment", "hello", namespace)["spec"]["template"]["spec"]["containers"]}
    assert images == {first.image}


def test_failed_first_deploy_leaves_nothing(sample_repo, namespace):
    own_host(sample_repo, namespace)
    dep = sample_repo / "k8s" / "deployment.yaml"
    # Readiness probe on a path the app does not serve on its port: never Ready.
    dep.write_text(dep.read_text().replace("port: http\n            periodSeconds: 2",
                                           "port: 9999\n            periodSeconds: 2"))
    commit(sample_repo, "probe on the wrong port")
    with pytest.raises(DeployFailed) as err:
        pipeline.run(sample_repo, namespace=namespace, echo=False, timeout=30)
    assert "removed" in err.value.hint
    for kind in ("deployment", "service", "ingress"):
        assert kube.get(kind, "hello", namespace) is None


def test_image_path_not_the_pushed_one_is_refused_before_deploy(sample_repo, namespace):
    own_host(sample_repo, namespace)
    dep = sample_repo / "k8s" / "deployment.yaml"
    dep.write_text(dep.read_text().replace("image: IMAGE", "image: localhost:5001/hello-typo:v1"))
    commit(sample_repo, "wrong image path")
    with pytest.raises(ManifestInvalid) as err:
        pipeline.run(sample_repo, namespace=namespace, echo=False)
    assert any("hello-typo" in p and p.startswith("🔥") for p in err.value.problems)
    assert kube.get("deployment", "hello", namespace) is None


def test_schema_error_is_caught_by_the_api_server_dry_run(sample_repo, namespace):
    own_host(sample_repo, namespace)
    svc = sample_repo / "k8s" / "service.yaml"
    svc.write_text(svc.read_text().replace("port: 80", "port: eighty"))
    commit(sample_repo, "port is not a number")
    with pytest.raises(ManifestInvalid) as err:
        pipeline.run(sample_repo, namespace=namespace, echo=False)
    assert any("Service/hello" in p for p in err.value.problems), err.value.problems
    assert kube.get("service", "hello", namespace) is None


def test_missing_dockerfile_fails_first_step(sample_repo):
    (sample_repo / "Dockerfile").unlink()
    with pytest.raises(BuildFailed, match="no Dockerfile"):
        pipeline.run(sample_repo, echo=False)
