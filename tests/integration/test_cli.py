"""``labctl`` and the kit script as a learner or a CI job runs them: real processes,
real exit codes, the ``ERROR:``/``Hint:`` text and no traceback unless ``-v``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from helpers import config, kube, pipeline

from ..conftest import lab_kubeconfig
from .test_pipeline import own_host

LABCTL = str(Path(sys.executable).with_name("labctl"))
DEAD_DOCKER = "unix:///nonexistent/docker.sock"


def run(cmd: list[str], env: dict | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=config.REPO_ROOT,
                          env={**os.environ, **(env or {})})


def test_doctor_prints_an_ok_line_for_every_prerequisite(lab_cluster):
    proc = run([LABCTL, "doctor", "--cluster"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ok_lines = [line for line in proc.stdout.splitlines() if line.startswith("[OK]")]
    for name in ("Docker daemon", "Docker socket", "memory Docker may use", "image store", "CPU architecture",
                 "kind", "kubectl", f"port {config.INGRESS_HTTP_PORT}", f"port {config.REGISTRY_PORT}",
                 "leftover kind clusters", "cluster reachable"):
        assert any(name in line for line in ok_lines), f"no [OK] line for {name!r} in:\n{proc.stdout}"
    assert "[FAIL]" not in proc.stdout


def test_doctor_fails_with_the_fix_when_docker_does_not_answer(lab_cluster):
    proc = run([LABCTL, "doctor"], env={"DOCKER_HOST": DEAD_DOCKER})
    assert proc.returncode == 1, proc.stderr
    fails = [line for line in proc.stdout.splitlines() if line.startswith("[FAIL]")]
    assert any("Docker daemon" in line for line in fails), proc.stdout
    assert "DOCKER_HOST" in proc.stdout  # the socket line's fix for Docker Desktop on macOS
    # Port 80 is held (by the lab cluster), but without Docker nobody can tell whose it is:
    # the doctor says so and sends the learner to the Docker line, not to kill a program.
    port_line = next(line for line in fails if f"port {config.INGRESS_HTTP_PORT}" in line)
    assert "Docker does not answer" in port_line
    assert "start Docker first" in proc.stdout


def test_pipeline_without_dockerfile_prints_error_and_hint_and_no_traceback(tmp_path):
    (tmp_path / "k8s").mkdir()
    proc = run([LABCTL, "pipeline", "--repo", str(tmp_path)])
    assert proc.returncode == 1
    assert proc.stderr.lstrip().startswith("ERROR:") or "\nERROR:" in proc.stderr, proc.stderr
    assert "Dockerfile" in proc.stderr and "Hint:" in proc.stderr
    assert "Traceback" not in proc.stderr
    verbose = run([LABCTL, "-v", "pipeline", "--repo", str(tmp_path)])
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr


def test_pipeline_with_docker_stopped_names_the_fix_and_deploys_nothing(sample_repo, namespace):
    proc = run([LABCTL, "pipeline", "--repo", str(sample_repo), "--namespace", namespace],
               env={"DOCKER_HOST": DEAD_DOCKER})
    assert proc.returncode == 1
    assert "ERROR:" in proc.stderr and "Docker" in proc.stderr and "Hint:" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    apps = kube.apps().list_namespaced_deployment(namespace).items
    assert apps == [], [d.metadata.name for d in apps]


def test_pipeline_from_the_cli_through_any_kubeconfig_context(sample_repo, namespace, tmp_path):
    """A kubeconfig whose only context is not kind's: the default fails clearly, --context works."""
    own_host(sample_repo, namespace)
    (tmp_path / "kubeconfig").write_text(yaml.safe_dump(lab_kubeconfig("classroom")))
    env = {"KUBECONFIG": str(tmp_path / "kubeconfig")}

    default = run([LABCTL, "pipeline", "--repo", str(sample_repo), "--namespace", namespace], env=env)
    assert default.returncode == 1
    assert f"no kubeconfig context '{config.KIND_CONTEXT}'" in default.stderr and "--context" in default.stderr

    proc = run([LABCTL, "--context", "classroom", "pipeline", "--repo", str(sample_repo), "--namespace", namespace],
               env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    url = proc.stdout.strip().splitlines()[-1]
    assert url == f"http://{namespace}.localhost/"
    assert "version=v1" in pipeline.get(url).text


def test_validate_accepts_the_sample_app_and_refuses_latest(lab_cluster):
    good = run([LABCTL, "validate", "apps/hello/k8s", "--image", f"{config.REGISTRY_HOST}/hello:abc1234"])
    assert good.returncode == 0, good.stderr
    assert "are valid" in good.stdout
    latest = run([LABCTL, "validate", "apps/hello/k8s", "--image", f"{config.REGISTRY_HOST}/hello:latest"])
    assert latest.returncode == 1
    assert "latest" in latest.stderr and "Hint:" in latest.stderr, latest.stderr


def test_validate_names_the_file_and_line_of_broken_yaml(tmp_path):
    shutil.copytree(config.REPO_ROOT / "apps" / "hello" / "k8s", tmp_path / "k8s")
    broken = tmp_path / "k8s" / "service.yaml"
    broken.write_text(broken.read_text() + "spec: [unclosed\n")
    proc = run([LABCTL, "validate", str(tmp_path / "k8s")])
    assert proc.returncode == 1
    assert "service.yaml" in proc.stderr and "line" in proc.stderr and "Hint:" in proc.stderr, proc.stderr


def _kit_copy(tmp_path: Path, **versions: str) -> Path:
    """The kit's scripts in a scratch folder, with versions.env lines overridden."""
    kit = tmp_path / "offline-kit"
    shutil.copytree(config.KIT_DIR, kit)
    env_file = kit / "versions.env"
    lines = env_file.read_text().splitlines()
    for key, value in versions.items():
        lines = [f"{key}={value}" if line.startswith(f"{key}=") else line for line in lines]
    env_file.write_text("\n".join(lines) + "\n")
    return kit


def test_kit_step_failure_names_the_step_its_log_tail_and_the_fix(tmp_path):
    kit = _kit_copy(tmp_path, K8S_VERSION="1.34.99")
    proc = run(["bash", str(kit / "build.sh")], env={"KUBELAB_CACHE": str(tmp_path / "cache")})
    assert proc.returncode == 1
    assert "✗ go-kubernetes" in proc.stderr, proc.stderr
    assert "Last lines of" in proc.stderr and "go-kubernetes.log" in proc.stderr
    assert "does not require v1.34.99" in proc.stderr  # the log's own tail, not a summary
    assert "ERROR: offline kit step go-kubernetes failed." in proc.stderr and "Hint:" in proc.stderr
    assert not (tmp_path / "cache" / "kit" / "stamps" / "go-kubernetes").exists()


def test_kit_refuses_to_start_when_docker_does_not_answer(tmp_path):
    proc = run(["bash", str(config.KIT_DIR / "build.sh")],
               env={"DOCKER_HOST": DEAD_DOCKER, "KUBELAB_CACHE": str(tmp_path / "cache")})
    assert proc.returncode == 1
    assert "ERROR: the Docker engine does not answer." in proc.stderr
    assert "Hint: run tools/install-docker.sh" in proc.stderr
