"""Pure parts of the pipeline: tags, repo checks, errors."""

import shutil
import subprocess

import pytest
import yaml

from helpers import cicd, config, images, kube, pipeline
from helpers.errors import BuildFailed, DeployFailed, LabError, ManifestInvalid


def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_tag_is_the_commit_and_changes_with_the_tree(tmp_path):
    (tmp_path / "app.py").write_text("print(1)\n")
    assert pipeline.source_tag(tmp_path).startswith("src-")
    git(tmp_path, "init", "-q")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "v1")
    clean = pipeline.source_tag(tmp_path)
    assert len(clean) == 10 and "latest" not in clean
    (tmp_path / "app.py").write_text("print(2)\n")
    dirty = pipeline.source_tag(tmp_path)
    assert dirty.startswith(clean + "-dirty-")


def test_repo_without_dockerfile_is_refused(tmp_path):
    (tmp_path / "k8s").mkdir()
    with pytest.raises(BuildFailed, match="no Dockerfile at the root") as err:
        pipeline._check_repo(tmp_path, "x")
    assert "D2Hub" in err.value.hint


def test_repo_without_k8s_folder_is_refused(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    with pytest.raises(ManifestInvalid, match="no k8s/ folder"):
        pipeline._check_repo(tmp_path, "x")


def test_bad_app_name(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "k8s").mkdir()
    with pytest.raises(BuildFailed, match="not a valid app name"):
        pipeline._check_repo(tmp_path, "Hello_App")


def test_latest_tag_is_refused(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    shutil.copytree(config.REPO_ROOT / "apps" / "hello" / "k8s", tmp_path / "k8s")
    with pytest.raises(BuildFailed, match="latest"):
        pipeline.run(tmp_path, name="x", tag="latest", offline=True, echo=False)


def test_error_message_has_state_and_hint():
    text = LabError("rollout failed", state="pod/x: CrashLoopBackOff", hint="read the logs").render()
    assert text.splitlines() == ["rollout failed", "pod/x: CrashLoopBackOff", "Hint: read the logs"]


def test_get_refuses_non_http_urls():
    with pytest.raises(ValueError):
        pipeline.get("ftp://x")


def test_k8s_the_pipeline_cannot_deploy_is_refused_before_building(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    shutil.copytree(config.REPO_ROOT / "apps" / "hello" / "k8s", tmp_path / "k8s")
    (tmp_path / "k8s" / "ingress.yaml").unlink()
    with pytest.raises(ManifestInvalid, match="cannot deploy") as err:
        pipeline.run(tmp_path, name="x", tag="v1", offline=True, echo=False)
    assert err.value.problems == ["k8s/ holds no Ingress: the pipeline ends with the app's URL, "
                                  "and an Ingress gives it"]
    assert "nothing was built" in err.value.hint


@pytest.mark.parametrize("line, feature", [
    ("RUN --mount=type=cache,target=/root/.cache pip install -r requirements.txt", "the --mount option"),
    ("COPY --link app.py /app/", "the --link option"),
    ("RUN <<EOF\necho hi\nEOF", "a heredoc (<<EOF)"),
])
def test_dockerfile_that_needs_buildkit_is_refused_by_line(tmp_path, line, feature):
    (tmp_path / "Dockerfile").write_text(f"FROM scratch\n{line}\n")
    with pytest.raises(BuildFailed) as err:
        images.build(tmp_path, "localhost:5001/x:1", echo=False)
    assert err.value.what == f"Dockerfile:2 needs BuildKit: {feature}"
    assert "classic builder" in err.value.hint


def test_ordinary_flags_are_not_mistaken_for_buildkit(tmp_path):
    for line in ("COPY --from=build --chown=1:1 /a /b", "RUN pip install --network-timeout 3 x",
                 "RUN echo $((1<<2))"):
        assert images._BUILDKIT_ONLY.match(line) is None and images._HEREDOC.match(line) is None, line


def deployment(generation=2, observed=2, want=2, replicas=2, updated=2, available=2, conditions=()):
    return {"metadata": {"name": "web", "generation": generation}, "spec": {"replicas": want},
            "status": {"observedGeneration": observed, "replicas": replicas, "updatedReplicas": updated,
                       "availableReplicas": available, "conditions": list(conditions)}}


@pytest.mark.parametrize("dep, verdict, words", [
    (deployment(observed=1), "waiting", "waiting for the controller"),
    (deployment(updated=1, replicas=3), "waiting", "1 of 2 new replicas"),
    (deployment(replicas=3), "waiting", "1 old replica(s) are pending termination"),
    (deployment(available=1), "waiting", "1 of 2 updated replicas are available"),
    (deployment(), "done", "successfully rolled out"),
    (deployment(updated=1, conditions=[{"type": "Progressing", "status": "False",
                                        "reason": "ProgressDeadlineExceeded", "message": "took too long"}]),
     "failed", "exceeded its progress deadline: took too long"),
    (deployment(updated=0, conditions=[{"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
                                        "message": "violates PodSecurity"}]), "failed", "violates PodSecurity"),
])
def test_rollout_is_judged_by_deployment_status_like_kubectl(dep, verdict, words):
    got, message = kube.rollout_state(dep)
    assert got == verdict and words in message, message


@pytest.mark.parametrize("status, words", [
    ({"containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}, "ImagePullBackOff"),
    ({"containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "ErrImagePull"}}}]}, "ErrImagePull"),
    ({"containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "CreateContainerConfigError",
                                                                  "message": 'configmap "x" not found'}}}]},
     'CreateContainerConfigError (configmap "x" not found)'),
    ({"containerStatuses": [{"name": "a", "state": {"running": {}},
                             "lastState": {"terminated": {"reason": "OOMKilled"}}}]}, "OOMKilled"),
    ({"initContainerStatuses": [{"name": "init", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]},
     "container init: CrashLoopBackOff"),
])
def test_states_that_waiting_will_not_heal(status, words):
    assert words in kube.unhealable({"metadata": {"name": "p"}, "status": status})


@pytest.mark.parametrize("status", [
    {"phase": "Pending", "containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "ContainerCreating"}}}]},
    {"phase": "Running", "containerStatuses": [{"name": "a", "state": {"running": {}}, "ready": False}]},
    {"phase": "Running", "containerStatuses": [{"name": "a", "state": {"running": {}},
                                                "lastState": {"terminated": {"reason": "Error"}}}]},
])
def test_states_that_may_still_heal(status):
    assert kube.unhealable({"metadata": {"name": "p"}, "status": status}) is None


def test_undo_adds_what_the_cleanup_did_and_keeps_the_error():
    err = DeployFailed("deployment/web cannot finish rolling out", state="pod/web-1: CrashLoopBackOff", hint="logs")
    err.add_cleanup_note("cleanup: deployment/web rolled back to revision 1 (kubectl rollout undo)")
    assert str(err).splitlines() == ["deployment/web cannot finish rolling out", "pod/web-1: CrashLoopBackOff",
                                     "cleanup: deployment/web rolled back to revision 1 (kubectl rollout undo)",
                                     "Hint: logs"]


def test_a_failure_before_anything_changed_is_reported_as_it_was():
    err = ManifestInvalid("the manifests are not valid (1 problem(s))", ["🔥 x"], hint="the 🔥 rule")
    pipeline.Undo("web").after(err, echo=False)
    assert str(err) == "the manifests are not valid (1 problem(s))\n  - 🔥 x\nHint: the 🔥 rule"


def test_ctrl_c_stays_a_keyboard_interrupt_with_the_cleanup_as_a_note(capsys):
    err = KeyboardInterrupt()
    pipeline.Undo("web").after(err, echo=True)
    assert err.__notes__ == ["cleanup: nothing to put back (the cluster was not changed)"]
    assert "KeyboardInterrupt: cleanup: nothing to put back" in capsys.readouterr().err


# ---- the CI/CD loop's test stage and image-path step (helpers.cicd) ----------

APP_TEST = '''
import unittest
import app

class AppTest(unittest.TestCase):
    def test_answer(self):
        self.assertEqual(app.answer(), 42)

    def test_name(self):
        self.assertEqual(app.NAME, "hello")
'''


def _app_repo(tmp_path, answer: int, tests: bool = True):
    (tmp_path / "app.py").write_text(f'NAME = "hello"\n\ndef answer():\n    return {answer}\n')
    if tests:
        (tmp_path / "tests").mkdir()
        (tmp_path / "tests" / "test_app.py").write_text(APP_TEST)
    return tmp_path


def test_test_stage_passes_when_every_test_passes(tmp_path):
    stage = cicd.test_stage(_app_repo(tmp_path, 42))
    assert stage.ok and stage.name == "test" and stage.detail == "2 test(s) passed", stage
    assert "Ran 2 tests" in stage.output and stage.line().startswith("[test] ✓ 2 test(s) passed")


def test_test_stage_fails_naming_the_failing_test(tmp_path):
    stage = cicd.test_stage(_app_repo(tmp_path, 41))
    assert not stage.ok and stage.detail == "1 of 2 test(s) failed: test_answer", stage
    assert "AssertionError: 41 != 42" in stage.output


@pytest.mark.parametrize("tests, words", [(False, "no tests/ folder"), (True, "no tests found")])
def test_test_stage_fails_when_there_is_nothing_to_run(tmp_path, tests, words):
    repo = _app_repo(tmp_path, 42, tests=tests)
    if tests:
        (repo / "tests" / "test_app.py").unlink()  # a tests/ folder with no test file
    stage = cicd.test_stage(repo)
    assert not stage.ok and words in stage.detail, stage


def test_test_stage_reports_an_import_error_as_red(tmp_path):
    repo = _app_repo(tmp_path, 42)
    (repo / "app.py").write_text("NAME = 'hello'\ndef answer(:\n")  # a syntax error
    stage = cicd.test_stage(repo)
    assert not stage.ok and "SyntaxError" in stage.output, stage


def test_write_image_sets_the_placeholder_and_the_same_repository_only(tmp_path):
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "deployment.yaml").write_text(yaml.safe_dump({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "hello"},
        "spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "localhost:5001/hello:v1"}, {"name": "b", "image": "IMAGE"},
            {"name": "c", "image": "localhost:5001/other:v1"}]}}}}))
    (tmp_path / "k8s" / "service.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: hello}\n")
    changed = cicd.write_image(tmp_path, "hello", "localhost:5001/hello:abc1234567")
    assert changed == ["deployment.yaml"]
    doc = yaml.safe_load((tmp_path / "k8s" / "deployment.yaml").read_text())
    assert [c["image"] for c in doc["spec"]["template"]["spec"]["containers"]] == [
        "localhost:5001/hello:abc1234567", "localhost:5001/hello:abc1234567", "localhost:5001/other:v1"]
    assert cicd.write_image(tmp_path, "hello", "localhost:5001/hello:abc1234567") == []
