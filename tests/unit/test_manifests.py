"""The lab's manifest rules, on the sample app's real k8s/ files and broken copies."""

import copy

import pytest

from helpers import config, manifests
from helpers.errors import ManifestInvalid

IMAGE = "localhost:5001/hello:abc123"


@pytest.fixture
def docs():
    return manifests.render(manifests.load_dir(config.REPO_ROOT / "apps" / "hello" / "k8s"), IMAGE)


def by_kind(docs, kind):
    return next(d for d in docs if d["kind"] == kind)


def test_sample_app_manifests_pass(docs):
    assert manifests.check_rules(docs, IMAGE) == []
    assert by_kind(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"] == IMAGE


def test_render_replaces_same_repository_and_keeps_others(docs):
    dep = by_kind(docs, "Deployment")
    dep["spec"]["template"]["spec"]["containers"][0]["image"] = "localhost:5001/hello:old"
    dep["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "busybox:1.36"})
    out = manifests.render(docs, IMAGE)
    images = [c["image"] for c in manifests.containers(by_kind(out, "Deployment"))]
    assert images == [IMAGE, "busybox:1.36"]
    problems = manifests.check_rules(out, IMAGE)
    assert len(problems) == 1 and "busybox:1.36" in problems[0] and problems[0].startswith("🔥")


@pytest.mark.parametrize("image, words", [
    ("localhost:5001/hello:latest", "latest"),
    ("localhost:5001/hello", "latest"),
    ("localhost:5001/other:abc123", "not the image just pushed"),
    ("IMAGE", "no image path"),
])
def test_fire_rule_refuses_wrong_image_paths(docs, image, words):
    by_kind(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"] = image
    problems = manifests.check_rules(docs, IMAGE)
    assert any(words in p for p in problems), problems


def test_selector_that_matches_nothing(docs):
    by_kind(docs, "Deployment")["spec"]["selector"]["matchLabels"] = {"app": "helo"}
    by_kind(docs, "Service")["spec"]["selector"] = {"app": "nothing"}
    problems = manifests.check_rules(docs, IMAGE)
    assert any("does not match its pod template" in p for p in problems)
    assert any("matches no pod template" in p for p in problems)


def test_wrong_target_port(docs):
    by_kind(docs, "Service")["spec"]["ports"][0]["targetPort"] = 9090
    problems = manifests.check_rules(docs, IMAGE)
    assert problems == ["Service/hello: targetPort 9090 is not a containerPort of its pods [8080]"]


def test_named_target_port_must_exist(docs):
    by_kind(docs, "Service")["spec"]["ports"][0]["targetPort"] = "web"
    assert any("targetPort 'web'" in p for p in manifests.check_rules(docs, IMAGE))


def test_ingress_to_missing_service_and_wrong_port(docs):
    ing = by_kind(docs, "Ingress")
    broken = copy.deepcopy(docs)
    by_kind(broken, "Ingress")["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] = "nope"
    assert any("'nope' is not defined" in p for p in manifests.check_rules(broken, IMAGE))
    ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]["number"] = 8081
    assert any("backend port" in p for p in manifests.check_rules(docs, IMAGE))


def test_validate_raises_with_every_problem_and_a_hint(docs):
    by_kind(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"] = "hello:latest"
    by_kind(docs, "Service")["spec"]["ports"][0]["targetPort"] = 1
    with pytest.raises(ManifestInvalid) as err:
        manifests.validate(docs, IMAGE, schema=False)
    assert len(err.value.problems) == 2
    assert "🔥" in err.value.hint


def test_broken_yaml_names_file_and_line(tmp_path):
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n   bad: indent\n")
    with pytest.raises(ManifestInvalid) as err:
        manifests.load_dir(tmp_path)
    assert "bad.yaml:5" in err.value.what
    assert "indentation" in err.value.hint


def test_document_without_kind_is_refused(tmp_path):
    (tmp_path / "x.yaml").write_text("metadata:\n  name: x\n")
    with pytest.raises(ManifestInvalid, match="not a Kubernetes object"):
        manifests.load_dir(tmp_path)


def test_empty_and_missing_folders(tmp_path):
    with pytest.raises(ManifestInvalid, match="holds no Kubernetes objects"):
        manifests.load_dir(tmp_path)
    with pytest.raises(ManifestInvalid, match="does not exist"):
        manifests.load_dir(tmp_path / "k8s")


def test_render_sets_namespace_on_namespaced_objects(docs):
    out = manifests.render(docs, IMAGE, namespace="team-a")
    assert {d["metadata"]["namespace"] for d in out} == {"team-a"}
