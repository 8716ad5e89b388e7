"""A learner without root: a Linux user in the `docker` group runs `labctl doctor`,
`labctl up` (reusing the cluster) and `labctl pipeline` on the sample app.

Made as root (CI is): the test creates the user, as a learner's machine has one.
"""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
import uuid
from pathlib import Path

import pytest

from helpers import config, kube, lessons, pipeline, ports

pytestmark = [pytest.mark.cluster,
              pytest.mark.skipif(os.geteuid() != 0, reason="creating a learner account needs root (CI runs as root)")]

USER = "kubelab-learner"
HOME = Path("/home") / USER
# The learner's own Python environment: the one this test runs in may sit where
# other users cannot read (here: root's pyenv), as on any machine.
VENV_BIN = HOME / "venv" / "bin"
RUNTIME = ("docker", "kubernetes", "pyyaml", "requests", "filelock")


def as_learner(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {"HOME": str(HOME), "USER": USER, "LANG": "C.UTF-8", "PYTHONPATH": str(config.REPO_ROOT),
           "PATH": f"{VENV_BIN}:{HOME}/.cache/kubelab/bin:/usr/local/bin:/usr/bin:/bin"}
    for key in ("KUBELAB_CACHE", "DOCKER_HOST"):
        if key in os.environ:
            env[key] = os.environ[key]
    return subprocess.run(["runuser", "-u", USER, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=str(HOME))


@pytest.fixture(scope="module")
def learner(lab_cluster):
    """The learner's account: in the docker group, with kind/kubectl of their own and the cluster's kubeconfig."""
    if subprocess.run(["getent", "group", "docker"], capture_output=True).returncode != 0:
        pytest.fail("there is no `docker` group: tools/install-docker.sh creates it")
    sock = Path((os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock").removeprefix("unix://"))
    group = subprocess.run(["stat", "-c", "%G", str(sock)], capture_output=True, text=True).stdout.strip()
    assert group == "docker", f"{sock} belongs to group {group!r}: tools/install-docker.sh hands it to `docker`"
    if subprocess.run(["id", USER], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--create-home", "--groups", "docker", "--shell", "/bin/bash", USER], check=True)
    subprocess.run(["usermod", "-aG", "docker", USER], check=True)
    _learner_python()
    probe = as_learner("labctl", "--help")
    if probe.returncode != 0:
        pytest.fail(f"{USER} cannot run labctl from {config.REPO_ROOT} (is the repository readable by other users?):"
                    f"\n{probe.stderr[-800:]}")
    tools = as_learner("labctl", "tools")
    assert tools.returncode == 0, tools.stdout + tools.stderr
    kubeconfig = as_learner("kind", "export", "kubeconfig", "--name", config.CLUSTER_NAME)
    assert kubeconfig.returncode == 0, kubeconfig.stderr
    return USER


def _learner_python() -> None:
    """A venv of the system's python3 with the helpers' runtime pins, and a `labctl` that runs the repository's code."""
    if not (VENV_BIN / "python").exists():
        made = as_learner("/usr/bin/python3", "-m", "venv", str(HOME / "venv"))
        assert made.returncode == 0, made.stderr
    deps = tomllib.loads((config.REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = [d for d in deps if re.split("==", d)[0].lower() in RUNTIME]
    assert len(pins) == len(RUNTIME), pins
    installed = as_learner(str(VENV_BIN / "pip"), "install", "-q", "--disable-pip-version-check", *pins)
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
    script = VENV_BIN / "labctl"
    script.write_text(f"#!{VENV_BIN / 'python'}\nimport sys\nfrom helpers.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)


def test_doctor_shows_no_false_fail(learner):
    proc = as_learner("labctl", "doctor", "--cluster")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[FAIL]" not in proc.stdout
    assert f"[OK] port {config.INGRESS_HTTP_PORT}: container {config.CLUSTER_NAME}-control-plane publishes" \
           in proc.stdout, proc.stdout
    assert str(HOME / ".cache/kubelab/bin/kubectl") in proc.stdout or "[OK] kubectl" in proc.stdout


def test_up_reuses_the_cluster(learner):
    proc = as_learner("labctl", "up")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"✓ kind cluster {config.CLUSTER_NAME}" in proc.stdout and "already running" in proc.stdout, proc.stdout


def test_pipeline_deploys_the_sample_app(learner):
    namespace = f"t-learner-{uuid.uuid4().hex[:6]}"
    repo = lessons.learner_repo(HOME / "work")
    ing = repo / "k8s" / "ingress.yaml"
    ing.write_text(ing.read_text().replace("host: hello.localhost", f"host: {namespace}.localhost"))
    lessons.git(repo, "commit", "-qam", "own host")
    subprocess.run(["chown", "-R", f"{USER}:{USER}", str(HOME / "work")], check=True)
    try:
        proc = as_learner("labctl", "pipeline", "--repo", str(repo), "--namespace", namespace)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
        url = proc.stdout.strip().splitlines()[-1]
        assert url == f"http://{namespace}.localhost/"
        assert "version=v1" in pipeline.get(url).text
    finally:
        kube.delete_namespace(namespace, wait=False)


def test_a_free_low_port_reads_free_to_a_user_who_may_not_bind_it(learner):
    """Port 81: nobody listens, and a non-root user cannot bind it (EACCES): that is not "taken"."""
    assert 81 not in (ports.listening_ports() or set()), "something listens on port 81 on this machine"
    proc = as_learner("python", "-c", "from helpers.ports import port_owner; print(repr(port_owner(81)))")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "''", proc.stdout
