"""The one online/offline switch and the kind config it produces."""

import pytest
import yaml

from helpers import cluster, config


def test_online_uses_public_images_unchanged():
    mode = config.Mode(offline=False)
    for public in config.PUBLIC_TO_KIT:
        assert mode.image(public) == public


def test_offline_maps_every_public_image_to_a_kit_image_with_its_version():
    mode = config.Mode(offline=True)
    for public, kit in config.PUBLIC_TO_KIT.items():
        assert mode.image(public) == kit
        assert kit.startswith(config.KIT_REPO + "/")
    assert mode.image(f"traefik:v{config.KIT['TRAEFIK_VERSION']}").endswith(f":v{config.KIT['TRAEFIK_VERSION']}")


def test_offline_refuses_images_the_kit_lacks():
    with pytest.raises(KeyError, match="no build of"):
        config.Mode(offline=True).image("nginx:1.27")


def test_system_manifests_only_use_images_the_kit_provides():
    for path in [cluster.NETWORK_MANIFEST, cluster.STORAGE_MANIFEST, *cluster.SYSTEM_MANIFESTS]:
        for doc in yaml.safe_load_all(path.read_text()):
            spec = doc.get("spec", {}).get("template", {}).get("spec", {})
            for c in spec.get("initContainers", []) + spec.get("containers", []):
                assert c["image"] in config.PUBLIC_TO_KIT, f"{path.name}: {c['image']} has no offline build"


def test_kind_config_online_and_offline_differ_only_in_image_source():
    online = cluster.kind_config(config.Mode(offline=False))
    offline = cluster.kind_config(config.Mode(offline=True))
    patches = offline.pop("kubeadmConfigPatches")
    online_patches = online.pop("kubeadmConfigPatches")
    assert patches[:-1] == online_patches[:-1]
    assert online == offline
    assert yaml.safe_load(patches[-1]) == {"kind": "ClusterConfiguration", "imageRepository": config.KIT_REPO}
    assert yaml.safe_load(online_patches[-1]) == {"kind": "ClusterConfiguration",
                                                  "imageRepository": "registry.k8s.io"}


def test_kind_config_maps_host_port_80_to_the_ingress_node_port():
    cfg = cluster.kind_config(config.Mode(offline=False), workers=2)
    cp = cfg["nodes"][0]
    assert cp["extraPortMappings"][0] == {"containerPort": config.INGRESS_NODE_PORT, "hostPort": 80,
                                          "listenAddress": "127.0.0.1", "protocol": "TCP"}
    assert [n["role"] for n in cfg["nodes"]] == ["control-plane", "worker", "worker"]
    assert 'config_path = "/etc/containerd/certs.d"' in cfg["containerdConfigPatches"][0]


def test_env_switch(monkeypatch):
    monkeypatch.setenv("KUBELAB_OFFLINE", "1")
    assert config.detect_mode().offline is True
    monkeypatch.setenv("KUBELAB_OFFLINE", "0")
    assert config.detect_mode().offline is False
    assert config.detect_mode(offline=True).offline is True


def test_api_server_routes_to_aggregated_api_endpoints_in_both_modes():
    for offline in (False, True):
        cfg = cluster.kind_config(config.Mode(offline=offline))
        args = {}
        for p in cfg["kubeadmConfigPatches"]:
            args.update(yaml.safe_load(p).get("apiServer", {}).get("extraArgs", {}))
        assert args["enable-aggregator-routing"] == "true"


def test_record_names_each_difference_and_reads_old_records():
    from helpers import record

    offline = config.Mode(offline=True)
    want = record.wanted(offline, cluster.kind_config(offline))
    assert record.differences(want, want) == []
    two_workers = record.wanted(offline, cluster.kind_config(offline, workers=2))
    assert record.differences(two_workers, want) == ["it has 3 node(s), `up` would make 1"]
    online = record.wanted(config.Mode(offline=False), cluster.kind_config(config.Mode(offline=False)))
    diffs = record.differences(online, want)
    assert diffs[0] == "made online, `up` would make it offline"
    assert diffs[1].startswith("node image kindest/node:") and diffs[1].endswith(f"{config.KIT_REPO}/node:v"
                                                                                 + config.KIT["K8S_VERSION"])
    assert diffs[2] == "its kind config differs in kubeadmConfigPatches"
    # A record written before format 2 held only a hash of the kind config.
    old = {"fingerprint": record.fingerprint(want["config"])}
    assert record.differences(old, want) == []
    assert record.differences({"fingerprint": "0123456789ab"}, want) == [
        "it was made from another kind config or kubelab version (an old record, no details)"]
    assert record.differences({}, want) == ["its node carries no kubelab record (made by hand, or by another tool)"]


def test_transport_errors_are_told_apart_from_answers():
    """`up` retries a step only when the API server dropped the connection (CI saw an SSL EOF)."""
    import ssl

    import urllib3
    from kubernetes.client.exceptions import ApiException

    from helpers.cluster import _surviving_restarts, is_transport_error

    eof = ssl.SSLEOFError(8, "EOF occurred in violation of protocol")
    dropped = urllib3.exceptions.MaxRetryError(None, "/apis/apps/v1", reason=eof)
    assert is_transport_error(dropped)
    try:
        try:
            raise eof
        except ssl.SSLError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert is_transport_error(outer)
    assert not is_transport_error(ApiException(status=403, reason="Forbidden"))

    calls = []

    def refused_answer():
        calls.append(1)
        raise ApiException(status=422, reason="Invalid")

    try:
        _surviving_restarts(refused_answer, "testing", echo=False)
    except ApiException:
        pass
    assert calls == [1], "an answer from the API server must not be retried"
