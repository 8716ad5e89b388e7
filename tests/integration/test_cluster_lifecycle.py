"""`labctl up` that fails half-way: the cluster it made is deleted, unless --retain.

A second, throwaway cluster is used (its own name, context and host port), so
the lab cluster keeps serving the other tests. The fault is a bad input a
learner or an instructor can make: a broken Ingress controller manifest.
"""

from __future__ import annotations

import pytest

from helpers import cluster, config, kube
from helpers.docker_client import client
from helpers.errors import ClusterError, ManifestInvalid
from helpers.shell import run, tool

from ..conftest import free_port

pytestmark = pytest.mark.cluster

HALF_MADE = "kubelab-halfmade"


def _clusters() -> list[str]:
    return run([tool("kind"), "get", "clusters"], check=False).stdout.split()


def test_half_made_cluster_is_deleted_unless_retained(lab_cluster, mode, monkeypatch, tmp_path, capsys):
    lab_context = config.KIND_CONTEXT
    broken = tmp_path / "traefik.yaml"
    broken.write_text(cluster.SYSTEM_MANIFESTS[0].read_text() + "\n---\nkind: [unclosed\n")
    monkeypatch.setattr(config, "CLUSTER_NAME", HALF_MADE)
    monkeypatch.setattr(config, "KIND_CONTEXT", f"kind-{HALF_MADE}")
    monkeypatch.setattr(config, "INGRESS_HTTP_PORT", free_port())
    monkeypatch.setattr(cluster, "SYSTEM_MANIFESTS", [broken, cluster.SYSTEM_MANIFESTS[1]])
    try:
        with pytest.raises(ManifestInvalid) as err:
            cluster.up(offline=mode.offline, metrics_server=False)
        assert "traefik.yaml" in err.value.what
        out = capsys.readouterr().out
        assert "created with 1 node(s)" in out  # it got as far as making a cluster ...
        assert "✗ the half-made cluster was deleted" in out
        assert HALF_MADE not in _clusters()  # ... and took it away again

        with pytest.raises(ManifestInvalid):
            cluster.up(offline=mode.offline, metrics_server=False, retain=True)
        assert HALF_MADE in _clusters()
        assert "half-made cluster was deleted" not in capsys.readouterr().out
    finally:
        run([tool("kind"), "delete", "cluster", "--name", HALF_MADE], check=False)
        run([tool("kubectl"), "config", "use-context", lab_context], check=False)
        kube.forget_clients()
    assert lab_context.removeprefix("kind-") in _clusters()


STUCK = "kubelab-stuck"


def test_a_cluster_that_does_not_come_back_is_kept_and_the_fix_named(lab_cluster, mode, monkeypatch):
    """Its API server never answers again (its static pod manifest is gone): `up` says so and deletes nothing."""
    lab_context = config.KIND_CONTEXT
    monkeypatch.setattr(config, "CLUSTER_NAME", STUCK)
    monkeypatch.setattr(config, "KIND_CONTEXT", f"kind-{STUCK}")
    monkeypatch.setattr(config, "INGRESS_HTTP_PORT", free_port())
    try:
        cluster.up(offline=mode.offline, metrics_server=False, echo=False)
        # The verdict comes when the wait runs out: a short one tells the same.
        monkeypatch.setattr(cluster, "COME_BACK_TIMEOUT", 20.0)
        node = client().containers.get(f"{STUCK}-control-plane")
        code, out = node.exec_run(["mv", "/etc/kubernetes/manifests/kube-apiserver.yaml", "/root/"])
        assert code == 0, out
        with pytest.raises(ClusterError) as err:
            cluster.up(offline=mode.offline, metrics_server=False, echo=False)
        assert f"the cluster {STUCK} does not come back" in err.value.what
        assert "--recreate" in err.value.hint and f"docker restart {STUCK}-control-plane" in err.value.hint
        assert client().containers.get(f"{STUCK}-control-plane").id == node.id, "it was deleted"
    finally:
        run([tool("kind"), "delete", "cluster", "--name", STUCK], check=False)
        run([tool("kubectl"), "config", "use-context", lab_context], check=False)
        kube.forget_clients()
