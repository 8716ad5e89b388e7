"""Pure parts of the pipeline: tags, repo checks, errors."""

import subprocess

import pytest

from helpers import pipeline
from helpers.errors import BuildFailed, LabError, ManifestInvalid


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
    (tmp_path / "k8s").mkdir()
    with pytest.raises(BuildFailed, match="latest"):
        pipeline.run(tmp_path, name="x", tag="latest", offline=True, echo=False)


def test_error_message_has_state_and_hint():
    text = LabError("rollout failed", state="pod/x: CrashLoopBackOff", hint="read the logs").render()
    assert text.splitlines() == ["rollout failed", "pod/x: CrashLoopBackOff", "Hint: read the logs"]


def test_get_refuses_non_http_urls():
    with pytest.raises(ValueError):
        pipeline.get("ftp://x")
