"""Real Docker engine behaviour: builds, layers, cache; and the clear errors for a
stopped engine and a taken port."""

from __future__ import annotations

import socket

import pytest

from helpers import cluster, config, images, ports
from helpers.docker_client import client
from helpers.errors import BuildFailed, DockerUnavailable, PortInUse

pytestmark = pytest.mark.docker


def test_sample_image_is_small_non_root_and_layered(hello_image):
    img = client().images.get(hello_image)
    assert img.attrs["Config"]["User"] == "10001:10001"
    assert images.size(hello_image) < 60 * 1024**2, images.human(images.size(hello_image))
    layers = images.layers(hello_image)
    assert any("app.py" in layer["created_by"] for layer in layers)


def test_rebuild_uses_the_cache(hello_image, mode):
    before = client().images.get(hello_image).id
    again = images.build(config.REPO_ROOT / "apps" / "hello", hello_image, mode=mode, echo=False)
    # Every step is reused, so the very same image comes out.
    assert again.image_id == before
    assert again.cached_steps >= 6, again.log


def test_broken_dockerfile_reports_the_failing_line(tmp_path, mode):
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY missing.txt /x\n")
    with pytest.raises(BuildFailed) as err:
        images.build(tmp_path, "localhost:5001/broken:t1", mode=mode, echo=False)
    assert "missing.txt" in err.value.state
    assert "COPY" in err.value.hint


def test_docker_not_running_gives_the_fix(monkeypatch):
    client.cache_clear()
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    try:
        with pytest.raises(DockerUnavailable) as err:
            client()
        assert "does not answer" in err.value.what and err.value.hint
    finally:
        monkeypatch.delenv("DOCKER_HOST")
        client.cache_clear()


def test_port_taken_by_another_program_is_named(monkeypatch, lab_cluster):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert "another program" in ports.port_owner(port)
        monkeypatch.setattr(config, "INGRESS_HTTP_PORT", port)
        with pytest.raises(PortInUse) as err:
            cluster._check_ports()
        assert f"port {port}" in err.value.what


def test_port_80_is_held_by_our_cluster(lab_cluster):
    assert f"{config.CLUSTER_NAME}-control-plane" in ports.port_owner(80)
    cluster._check_ports()  # ours: no error
