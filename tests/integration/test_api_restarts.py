"""A kube helper called while the API server does not answer: it waits through a short
outage (as after Docker restarts the node) and, when the outage lasts, fails with a
ClusterError that says what to do. The API server is the real one, reached through a
local TCP relay that refuses connections until the test opens it."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import yaml
from kubernetes.config import kube_config

from helpers import kube
from helpers.cluster import is_transport_error
from helpers.errors import ClusterError

from ..conftest import free_port, lab_kubeconfig

RELAYED = "kubelab-relayed"


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _relay(port: int, target: tuple[str, int], stop: threading.Event) -> None:
    """Accept on 127.0.0.1:port and pipe each connection to the API server."""
    with socket.create_server(("127.0.0.1", port)) as server:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            upstream = socket.create_connection(target)
            for a, b in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()


@pytest.fixture
def relayed_context(lab_cluster, tmp_path, monkeypatch):
    """A kubeconfig whose context reaches the lab's API server through 127.0.0.1:PORT."""
    kubeconfig = lab_kubeconfig(RELAYED)
    cluster = kubeconfig["clusters"][0]["cluster"]
    server = urlsplit(cluster["server"])
    port = free_port()
    cluster["server"] = f"https://127.0.0.1:{port}"
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(kubeconfig))
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))
    kube.forget_clients()
    yield port, (server.hostname, server.port)
    kube.forget_clients()


def test_a_helper_rides_out_a_short_api_outage(relayed_context):
    port, target = relayed_context
    stop = threading.Event()
    opener = threading.Timer(4, lambda: threading.Thread(target=_relay, args=(port, target, stop),
                                                          daemon=True).start())
    opener.start()
    try:
        start = time.monotonic()
        pods = kube.pods("kube-system", context=RELAYED)  # refused for 4 s, then answered
        waited = time.monotonic() - start
    finally:
        opener.cancel()
        stop.set()
    assert any(p.metadata.name.startswith("coredns") for p in pods)
    assert waited >= 3, f"answered after {waited:.1f}s, before the relay opened: the test proves nothing"


def test_a_lasting_outage_is_a_cluster_error_with_the_fix(relayed_context):
    start = time.monotonic()
    with pytest.raises(ClusterError) as info:
        kube.pods("kube-system", context=RELAYED)  # nothing ever listens
    waited = time.monotonic() - start
    err = info.value
    assert f"127.0.0.1:{relayed_context[0]} does not answer" in err.what
    assert "labctl up" in err.hint and "NewConnectionError" in err.state
    assert is_transport_error(err), "labctl up must still see a transport error and retry"
    assert 10 <= waited <= 40, f"gave up after {waited:.1f}s"
