"""Online and offline `up` make the same cluster: only image references differ.

Renders everything ``up`` would create on each path (kind config, node image,
the control plane's images, every system manifest as applied) and walks the two
side by side; the versions the kit pins are checked against the sources that
define them (kubeadm's constants, the online node image's tag, the wrapper modules).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from helpers import cluster, config

ONLINE, OFFLINE = config.Mode(offline=False), config.Mode(offline=True)


def _is_image_pair(online: str, offline: str) -> bool:
    """True when ``offline`` is the kit's image for the public ``online`` one."""
    if online in config.PUBLIC_TO_KIT:
        return OFFLINE.image(online) == offline
    # kubeadm's images: the same name and tag under the kit's repository
    online_repo = config.KUBEADM_IMAGE_REPOSITORY + "/"
    if online.startswith(online_repo):
        name = online[len(online_repo):].removeprefix("coredns/")
        return offline == f"{config.KIT_REPO}/{name}"
    return False


def differences(online, offline, path: str = "") -> list[str]:
    """Every place where the two renderings differ other than in an image reference.

    >>> differences({"image": "registry:2", "n": 1}, {"image": OFFLINE.image("registry:2"), "n": 1})
    []
    >>> differences({"args": ["--a"]}, {"args": ["--b"]})
    ["args[0]: online '--a', offline '--b'"]
    """
    if isinstance(online, dict) and isinstance(offline, dict):
        out = []
        for key in sorted(set(online) | set(offline), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in offline or key not in online:
                out.append(f"{where}: only {'online' if key in online else 'offline'}")
            else:
                out += differences(online[key], offline[key], where)
        return out
    if isinstance(online, list) and isinstance(offline, list):
        if len(online) != len(offline):
            return [f"{path}: {len(online)} items online, {len(offline)} offline"]
        return [d for i, (a, b) in enumerate(zip(online, offline)) for d in differences(a, b, f"{path}[{i}]")]
    if online == offline:
        return []
    if isinstance(online, str) and isinstance(offline, str):
        if _is_image_pair(online, offline):
            return []
        if path.endswith("imageRepository") and (online, offline) == (config.KUBEADM_IMAGE_REPOSITORY, config.KIT_REPO):
            return []
        # YAML held in a string (kubeadm patches, local-path's helper pod): compare what it says
        try:
            a, b = yaml.safe_load(online), yaml.safe_load(offline)
        except yaml.YAMLError:
            a = b = None
        if isinstance(a, (dict, list)) and isinstance(b, (dict, list)):
            return differences(a, b, path)
    return [f"{path}: online {online!r}, offline {offline!r}"]


def test_up_renders_the_same_cluster_online_and_offline_but_for_image_references():
    for workers in (0, 2):
        online, offline = cluster.rendered(ONLINE, workers), cluster.rendered(OFFLINE, workers)
        assert differences(online, offline) == []
        assert online != offline  # the images do differ: the walk above compared them


def test_the_comparison_catches_a_difference_that_is_not_an_image():
    online, offline = cluster.rendered(ONLINE), cluster.rendered(OFFLINE)
    router = offline["system"]["kube-router.yaml"]
    daemonset = next(d for d in router if d["kind"] == "DaemonSet")
    daemonset["spec"]["template"]["spec"]["containers"][0]["args"].append("--run-service-proxy=true")
    helper = next(d for d in offline["system"]["local-path-storage.yaml"] if d["kind"] == "ConfigMap")
    helper["data"]["helperPod.yaml"] = helper["data"]["helperPod.yaml"].replace("disk-pressure", "memory-pressure")
    offline["kind_config"]["networking"] = {}
    found = differences(online, offline)
    assert any("kube-router.yaml" in d and "args" in d for d in found), found
    assert any("helperPod.yaml" in d and "memory-pressure" in d for d in found), found
    assert any(d.startswith("kind_config.networking.disableDefaultCNI") for d in found), found
    # an image the kit does not map to is a difference too
    offline["node_image"] = "kindest/node:v1.34.4"
    assert any(d.startswith("node_image") for d in differences(online, offline))


def test_both_paths_run_kube_router_and_local_path_with_kind_network_off():
    for mode in (ONLINE, OFFLINE):
        out = cluster.rendered(mode)
        assert out["kind_config"]["networking"] == {"disableDefaultCNI": True}
        router = next(d for d in out["system"]["kube-router.yaml"] if d["kind"] == "DaemonSet")
        args = router["spec"]["template"]["spec"]["containers"][0]["args"]
        assert {"--run-router=true", "--run-firewall=true", "--enable-pod-egress=true"} <= set(args)
        classes = [d for d in out["system"]["local-path-storage.yaml"] if d["kind"] == "StorageClass"]
        assert [(c["metadata"]["name"], c["provisioner"]) for c in classes] == [("standard", "rancher.io/local-path")]
        assert classes[0]["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"


def test_the_kit_builds_every_image_the_offline_path_uses():
    listed = set(subprocess.run(["bash", str(config.KIT_DIR / "build.sh"), "--list"], capture_output=True,
                                text=True, check=True).stdout.split())
    out = cluster.rendered(OFFLINE)
    used = {out["node_image"], out["registry_image"], *out["control_plane_images"]}
    for docs in out["system"].values():
        for doc in docs:
            spec = doc.get("spec", {}).get("template", {}).get("spec", {})
            used |= {c["image"] for c in spec.get("initContainers", []) + spec.get("containers", [])}
            if "helperPod.yaml" in doc.get("data", {}):
                used |= {c["image"] for c in yaml.safe_load(doc["data"]["helperPod.yaml"])["spec"]["containers"]}
    assert used - listed == set()


def test_versions_match_the_online_node_image_and_the_kit_modules():
    kit = config.KIT
    tag = config.NODE_IMAGE_ONLINE.split("@")[0].rsplit(":", 1)[1]
    assert tag == f"v{kit['K8S_VERSION']}"
    assert config.PUBLIC_TO_KIT[config.NODE_IMAGE_ONLINE].endswith(f":v{kit['K8S_VERSION']}")
    k8s_mod = (config.KIT_DIR / "go" / "kubernetes" / "go.mod").read_text()
    assert re.search(rf"^(require |\t)k8s\.io/kubernetes v{re.escape(kit['K8S_VERSION'])}$", k8s_mod, re.M)
    staging = set(re.findall(r"^\tk8s\.io/[a-z-]+ => k8s\.io/[a-z-]+ (v\S+)$", k8s_mod, re.M))
    assert staging == {"v0." + kit["K8S_VERSION"].split(".", 1)[1]}
    etcd_mod = (config.KIT_DIR / "go" / "etcd" / "go.mod").read_text()
    assert f"go.etcd.io/etcd/server/v3 v{kit['ETCD_VERSION']}" in etcd_mod
    assert kit["ETCD_IMAGE_TAG"].startswith(kit["ETCD_VERSION"] + "-")
    # the public images of the network and storage carry the kit's versions
    images = {c["image"] for docs in cluster.system_docs(ONLINE).values() for d in docs
              for c in d.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])}
    assert f"docker.io/cloudnativelabs/kube-router:v{kit['KUBE_ROUTER_VERSION']}" in images
    assert f"rancher/local-path-provisioner:v{kit['LOCAL_PATH_VERSION']}" in images


def _module_dir(module: str) -> Path:
    modcache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True).stdout.strip()
    path = Path(modcache) / module
    if not path.is_dir():
        pytest.skip(f"{module} is not in the Go module cache (offline-kit/build.sh downloads it)")
    return path


def test_etcd_coredns_and_pause_are_what_kubeadm_deploys():
    kit = config.KIT
    constants = (_module_dir(f"k8s.io/kubernetes@v{kit['K8S_VERSION']}")
                 / "cmd/kubeadm/app/constants/constants.go").read_text()
    assert re.search(rf'DefaultEtcdVersion = "{re.escape(kit["ETCD_IMAGE_TAG"])}"', constants)
    assert re.search(rf'CoreDNSVersion = "v{re.escape(kit["COREDNS_VERSION"])}"', constants)
    assert re.search(rf'PauseVersion = "{re.escape(kit["PAUSE_VERSION"])}"', constants)


def test_containerd_is_the_version_kindest_node_builds():
    # kindest/node for kind v$KIND_VERSION is built on that release's base image.
    kit = config.KIT
    base = (_module_dir(f"sigs.k8s.io/kind@v{kit['KIND_VERSION']}") / "images/base/Dockerfile").read_text()
    assert re.search(rf'^ARG CONTAINERD_VERSION="v{re.escape(kit["CONTAINERD_VERSION"])}"$', base, re.M), \
        re.findall(r"^ARG CONTAINERD_VERSION=.*$", base, re.M)
