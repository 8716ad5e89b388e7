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


def test_render_fills_only_the_placeholder(docs):
    dep = by_kind(docs, "Deployment")
    dep["spec"]["template"]["spec"]["containers"][0]["image"] = "IMAGE"
    dep["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "busybox:1.36"})
    out = manifests.render(docs, IMAGE)
    images = [c["image"] for c in manifests.containers(by_kind(out, "Deployment"))]
    assert images == [IMAGE, "busybox:1.36"]
    problems = manifests.check_rules(out, IMAGE)
    assert len(problems) == 1 and "busybox:1.36" in problems[0] and problems[0].startswith("🔥")


@pytest.mark.parametrize("written", ["localhost:5001/hello:latest", "localhost:5001/hello:old",
                                     "localhost:5001/hello@sha256:" + "a" * 64, "localhost:5001/hello"])
def test_same_repository_other_tag_or_digest_is_refused_not_replaced(written):
    docs = manifests.load_dir(config.REPO_ROOT / "apps" / "hello" / "k8s")
    by_kind(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"] = written
    out = manifests.render(docs, IMAGE)
    assert manifests.containers(by_kind(out, "Deployment"))[0]["image"] == written
    problems = manifests.check_rules(out, IMAGE)
    assert len(problems) == 1 and problems[0].startswith("🔥") and written in problems[0], problems
    with pytest.raises(ManifestInvalid) as err:
        manifests.validate(out, IMAGE, schema=False)
    assert "🔥" in err.value.hint


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


def test_render_keeps_a_namespace_written_in_a_file_for_the_pipeline_to_judge(docs):
    by_kind(docs, "Service")["metadata"]["namespace"] = "prod"
    out = manifests.render(docs, IMAGE, namespace="team-a")
    assert by_kind(out, "Service")["metadata"]["namespace"] == "prod"
    problems = manifests.pipeline_problems(out, "team-a")
    assert problems == ["Service/hello: metadata.namespace is 'prod', but the pipeline deploys to 'team-a': "
                        "remove the line, or deploy with --namespace prod"]


def test_sample_app_is_fit_for_the_pipeline(docs):
    assert manifests.pipeline_problems(manifests.render(docs, IMAGE, "team-a"), "team-a") == []


@pytest.mark.parametrize("kind", ["StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet"])
def test_kinds_the_pipeline_cannot_roll_back_are_refused_by_name(docs, kind):
    docs.append({"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "extra"}})
    problems = manifests.pipeline_problems(docs, "default")
    assert len(problems) == 1 and problems[0].startswith(f"{kind}/extra: the pipeline rolls out and undoes "
                                                         "Deployments only"), problems


def test_cluster_wide_objects_and_other_namespaces_are_refused(docs):
    docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    docs.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                 "metadata": {"name": "admin"}})
    problems = manifests.pipeline_problems(docs, "team-a")
    assert any(p.startswith("Namespace/other:") for p in problems)
    assert any(p.startswith("ClusterRoleBinding/admin: a ClusterRoleBinding is cluster-wide") for p in problems)
    own = [d for d in docs if d["kind"] != "ClusterRoleBinding"]
    own[-1]["metadata"]["name"] = "team-a"  # its own namespace: allowed
    assert manifests.pipeline_problems(own, "team-a") == []


def test_no_ingress_or_no_host_or_no_deployment_is_refused(docs):
    no_ingress = [d for d in docs if d["kind"] != "Ingress"]
    assert manifests.pipeline_problems(no_ingress, "a") == [
        "k8s/ holds no Ingress: the pipeline ends with the app's URL, and an Ingress gives it"]
    del by_kind(docs, "Ingress")["spec"]["rules"][0]["host"]
    assert "has no host" in manifests.pipeline_problems(docs, "a")[0]
    only_service = [d for d in docs if d["kind"] == "Service"]
    assert "holds no Deployment" in manifests.pipeline_problems(only_service, "a")[0]


def test_several_deployments_are_allowed(docs):
    second = copy.deepcopy(by_kind(docs, "Deployment"))
    second["metadata"]["name"] = "worker"
    assert manifests.pipeline_problems(docs + [second], "a") == []


def test_upper_case_names_are_refused_with_a_lower_case_suggestion(docs):
    by_kind(docs, "Service")["metadata"]["name"] = "Hello_Svc"
    problems = manifests.check_rules(docs, IMAGE)
    assert any("'Hello_Svc' has upper-case letters" in p and "'hello-svc'" in p for p in problems), problems


def test_non_utf8_file_is_refused_with_its_line(tmp_path):
    (tmp_path / "svc.yaml").write_bytes(b"apiVersion: v1\nkind: Service\nmetadata:\n  name: caf\xe9\n")
    with pytest.raises(ManifestInvalid) as err:
        manifests.load_dir(tmp_path)
    assert "svc.yaml:4 is not UTF-8" in err.value.what and "UTF-8" in err.value.hint


@pytest.mark.parametrize("line", ["  replicas: {{ .Values.replicas }}", "{{- if .Values.ingress.enabled }}",
                                  '  image: "{{ include "app.image" . }}"'])
def test_helm_templates_are_refused(tmp_path, line):
    (tmp_path / "dep.yaml").write_text(f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n{line}\n")
    with pytest.raises(ManifestInvalid) as err:
        manifests.load_dir(tmp_path)
    assert "dep.yaml:5 is a Helm/Go template" in err.value.what and "helm template" in err.value.hint


def test_a_template_inside_configmap_data_is_data(tmp_path):
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: alerts\n"
                                      "data:\n  text: 'instance {{ $labels.instance }} is down'\n")
    assert manifests.load_dir(tmp_path)[0]["data"]["text"].startswith("instance {{")


def test_kind_list_is_unwrapped(tmp_path):
    (tmp_path / "all.yaml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n")
    assert [(d["kind"], d["metadata"]["name"]) for d in manifests.load_dir(tmp_path)] == [
        ("Service", "a"), ("ConfigMap", "b")]


def test_problems_hint_names_the_cause():
    assert "🔥" in manifests.problems_hint(["🔥 x"])
    assert "Pod Security" in manifests.problems_hint(["Deployment/x: ... violates PodSecurity ..."])
    assert "its own host" in manifests.problems_hint(["Ingress/x: host a.localhost is already served by ..."])


def test_a_namespace_file_may_not_lower_pod_security(docs):
    docs.append({"apiVersion": "v1", "kind": "Namespace",
                 "metadata": {"name": "team-a", "labels": {"pod-security.kubernetes.io/enforce": "privileged"}}})
    assert manifests.pipeline_problems(docs, "team-a") == [
        "Namespace/team-a: sets pod-security.kubernetes.io/enforce: a repository does not choose its own "
        "Pod Security level (the lab enforces baseline)"]
