"""A learner's own laptop, as `./lab.sh` meets it: pinned tools installed without
admin rights (downloaded and checked, from a local server standing in for the
release downloads), a cluster never deleted unasked, one lab operation at a
time, and nothing published beyond loopback."""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from helpers import cluster, config, containers, lock, record, registry, tools
from helpers.docker_client import client

from ..conftest import free_port

LABCTL = str(Path(sys.executable).with_name("labctl"))
KIT_BIN = config.CACHE_DIR / "kit" / "bin" / "current"


def labctl(*args: str, env: dict | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([LABCTL, *args], capture_output=True, text=True, timeout=timeout, cwd=config.REPO_ROOT,
                          env={**os.environ, **(env or {})})


class _Quiet(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - the stdlib's name
        _Quiet.requests.append(self.path)
        super().do_GET()


@pytest.fixture
def release_server(tmp_path):
    """A local HTTP server laid out like KUBELAB_DOWNLOAD_BASE expects, serving the kit's kind and kubectl."""
    if not (KIT_BIN / "kind").exists():
        pytest.fail(f"the offline kit's binaries are missing in {KIT_BIN}: run offline-kit/build.sh")
    root = tmp_path / "releases"
    root.mkdir()
    plat = tools.platform_key().replace("/", "-")
    served = {}
    for (tool, p), pin in tools.pins().items():
        if p == tools.platform_key():
            target = root / f"{tool}-{pin.version}-{plat}"
            target.write_bytes((KIT_BIN / tool).read_bytes())
            served[tool] = (pin.version, hashlib.sha256(target.read_bytes()).hexdigest())
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Quiet.requests = []
    yield f"http://127.0.0.1:{server.server_address[1]}", served
    server.shutdown()


def _env(tmp_path: Path, base: str, checksums: Path | None = None) -> dict:
    """No kind or kubectl of the right version on PATH: only the venv and the system's own folders."""
    env = {"KUBELAB_DOWNLOAD_BASE": base, "KUBELAB_TOOLS_BIN": str(tmp_path / "bin"),
           "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "KUBELAB_OFFLINE": "0"}
    if checksums:
        env["KUBELAB_TOOLS_CHECKSUMS"] = str(checksums)
    return env


def test_tools_are_downloaded_verified_and_then_reused(tmp_path, release_server):
    base, served = release_server
    sums = tmp_path / "checksums.txt"
    sums.write_text("".join(f"{tool} {version} {tools.platform_key()} {digest}\n"
                            for tool, (version, digest) in served.items()))
    env = _env(tmp_path, base, sums)
    proc = labctl("tools", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for tool in tools.TOOLS:
        # The kit builds the cluster's own patch, which may differ from the pinned release's.
        version = tools.version_of(KIT_BIN / tool, tool)
        assert f"✓ {tool} v{version} → {tmp_path / 'bin' / tool} (downloaded, sha256 verified)" in proc.stdout
        assert os.access(tmp_path / "bin" / tool, os.X_OK)
    assert sorted(p.name for p in (tmp_path / "bin").iterdir()) == ["kind", "kubectl"]
    fetched = len(_Quiet.requests)
    assert fetched == 2

    again = labctl("tools", env=env)
    assert again.returncode == 0, again.stderr
    assert f"✓ kind v{tools.version_of(KIT_BIN / 'kind', 'kind')} ({tmp_path / 'bin' / 'kind'})" in again.stdout
    assert len(_Quiet.requests) == fetched, "a second run downloads nothing"


def test_a_download_that_does_not_match_its_checksum_installs_nothing(tmp_path, release_server):
    base, _ = release_server
    # The repository's checksums are the official releases'; the server sends the kit's own builds.
    proc = labctl("tools", env=_env(tmp_path, base))
    assert proc.returncode == 1, proc.stdout
    assert "ERROR: the downloaded kind v0.33.0 does not match its checksum; nothing was installed" in proc.stderr
    assert "Hint:" in proc.stderr and "Traceback" not in proc.stderr
    assert list((tmp_path / "bin").iterdir()) == []


def test_a_failed_download_installs_nothing(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    handler = functools.partial(_Quiet, directory=str(empty))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        proc = labctl("tools", env=_env(tmp_path, f"http://127.0.0.1:{server.server_address[1]}"))
    finally:
        server.shutdown()
    assert proc.returncode == 1
    assert "ERROR: downloading kind v0.33.0 failed: HTTP 404" in proc.stderr
    assert "Hint:" in proc.stderr
    assert list((tmp_path / "bin").iterdir()) == []


def test_offline_the_tools_come_from_the_kit(tmp_path):
    env = _env(tmp_path, "http://127.0.0.1:9")
    env["KUBELAB_OFFLINE"] = "1"
    proc = labctl("tools", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "(from the offline kit)" in proc.stdout
    assert (tmp_path / "bin" / "kind").read_bytes() == (KIT_BIN / "kind").read_bytes()


def _node_id() -> str:
    return client().containers.get(f"{config.CLUSTER_NAME}-control-plane").id


def test_a_cluster_that_differs_is_left_alone_with_the_fix(lab_cluster, mode):
    before = _node_id()
    proc = labctl("up", "--workers", "1", *(["--offline"] if mode.offline else []))
    assert proc.returncode == 1, proc.stdout
    assert f"ERROR: the existing cluster {config.CLUSTER_NAME} differs from what" in proc.stderr
    assert "it has 1 node(s), `up` would make 2" in proc.stderr
    assert "--workers 1 --recreate" in proc.stderr
    assert _node_id() == before

    flipped = labctl("up", env={"KUBELAB_OFFLINE": "0" if mode.offline else "1"})
    assert flipped.returncode == 1, flipped.stdout
    made, other = ("offline", "online") if mode.offline else ("online", "offline")
    assert f"made {made}, `up` would make it {other}" in flipped.stderr
    assert _node_id() == before


def test_a_rebuilt_node_image_is_a_difference(lab_cluster, mode):
    # The record names the node image; a rebuilt kit keeps the name, so the image ID decides.
    have = record.read()
    assert have["node_image_id"] == client().containers.get(f"{config.CLUSTER_NAME}-control-plane").attrs["Image"]
    cfg = cluster.kind_config(mode, len(lab_cluster["nodes"]) - 1)
    assert record.differences(have, record.wanted(mode, cfg, cluster._local_image_id(mode))) == []
    other = client().images.get(mode.image(registry.REGISTRY_IMAGE)).id  # another local image
    [why] = record.differences(have, record.wanted(mode, cfg, other))
    assert f"its nodes run an older build of {mode.image(config.NODE_IMAGE_ONLINE)}" in why
    assert why.endswith(f"`up` would use {other.removeprefix('sha256:')[:12]}"), why


def test_the_recorded_mode_wins_over_the_probe(lab_cluster, mode):
    env = {k: v for k, v in os.environ.items() if k != "KUBELAB_OFFLINE"}
    proc = subprocess.run([LABCTL, "mode"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.stdout.strip() == ("offline" if mode.offline else "online"), proc.stderr


def test_two_ups_at_once_leave_one_intact_cluster(lab_cluster, mode):
    before = _node_id()
    args = [LABCTL, "up", "--no-metrics-server", *(["--offline"] if mode.offline else [])]
    first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=config.REPO_ROOT)
    deadline = time.monotonic() + 30
    while not lock.holder() and time.monotonic() < deadline:  # the first one holds the lock ...
        time.sleep(0.1)
    second = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=config.REPO_ROOT)
    out1, err1 = first.communicate(timeout=600)
    out2, err2 = second.communicate(timeout=600)
    assert (first.returncode, second.returncode) == (0, 0), err1 + err2
    assert "… waiting for `labctl up --no-metrics-server" in err2 and f"(pid {first.pid})" in err2
    assert "kind cluster kubelab" in out1 and "kind cluster kubelab" in out2
    assert _node_id() == before


def test_a_held_lock_times_out_naming_its_holder(tmp_path):
    with lock.exclusive("pytest holding the lab lock", echo=False):
        proc = labctl("pipeline", "--repo", str(tmp_path / "never-read"), env={"KUBELAB_LOCK_TIMEOUT": "2"})
    assert proc.returncode == 1
    assert "another lab operation still runs after 2s: `pytest holding the lab lock`" in proc.stderr
    assert f"pid {os.getpid()}" in proc.stderr


def test_nothing_is_published_beyond_loopback(lab_cluster, hello_image):
    name = "kubelab-loopback-probe"
    containers.start(hello_image, name, lab="tests", ports={"8080/tcp": free_port()})
    try:
        published = []
        for c in client().containers.list():
            for inside, binds in (c.attrs["NetworkSettings"].get("Ports") or {}).items():
                published += [(c.name, inside, b["HostIp"], b["HostPort"]) for b in binds or []]
        assert any(p[0] == name for p in published)
        assert any(p[0] == config.REGISTRY_NAME for p in published)
        assert any(p[0] == f"{config.CLUSTER_NAME}-control-plane" and p[3] == str(config.INGRESS_HTTP_PORT)
                   for p in published)
        wide = [p for p in published if p[2] not in ("127.0.0.1", "::1")]
        assert wide == [], f"published beyond loopback: {wide}"
    finally:
        containers.remove(name)
