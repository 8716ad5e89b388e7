"""The running cluster is made of the versions offline-kit/versions.env pins (which
tests/unit/test_offline_equality.py ties to the online node image and kubeadm):
Kubernetes, the container runtime, etcd and CoreDNS (their images and what the
binaries themselves say), the pod network and storage, all from the images `up` renders."""

from __future__ import annotations

import subprocess

import pytest

from helpers import cluster, config, kube
from helpers.shell import tool

pytestmark = pytest.mark.cluster

KIT = config.KIT


def _kube_system_pod(prefix: str) -> str:
    names = [p.metadata.name for p in kube.pods("kube-system") if p.metadata.name.startswith(prefix)
             and p.status.phase == "Running"]
    assert names, f"no running {prefix} pod in kube-system"
    return names[0]


def test_kubernetes_and_runtime_versions(lab_cluster, mode):
    out = subprocess.run([tool("kubectl"), "--context", config.KIND_CONTEXT, "version", "-o", "json"],
                         capture_output=True, text=True, check=True).stdout
    assert f'"gitVersion": "v{KIT["K8S_VERSION"]}"' in out.split('"serverVersion"')[1], out
    for node in lab_cluster["nodes"]:
        assert node["kubelet"] == f"v{KIT['K8S_VERSION']}", node
        assert node["runtime"] == f"containerd://{KIT['CONTAINERD_VERSION']}", node


def test_etcd_and_coredns_are_the_pinned_versions(lab_cluster, mode):
    repo = mode.image_repository
    etcd = _kube_system_pod("etcd-")
    pod = kube.core().read_namespaced_pod(etcd, "kube-system")
    assert pod.spec.containers[0].image == f"{repo}/etcd:{KIT['ETCD_IMAGE_TAG']}"
    assert f"etcd Version: {KIT['ETCD_VERSION']}\n" in kube.exec_(etcd, ["etcd", "--version"], "kube-system")

    dns = kube.apps().read_namespaced_deployment("coredns", "kube-system")
    assert dns.spec.template.spec.containers[0].image in cluster.control_plane_images(mode)
    assert dns.spec.template.spec.containers[0].image.endswith(f"/coredns:v{KIT['COREDNS_VERSION']}")
    coredns = _kube_system_pod("coredns-")
    assert f"CoreDNS-{KIT['COREDNS_VERSION']}" in kube.exec_(coredns, ["/coredns", "-version"], "kube-system")


def test_every_system_pod_runs_an_image_up_rendered(lab_cluster, mode):
    rendered = cluster.rendered(mode)
    allowed = set(rendered["control_plane_images"])
    for docs in rendered["system"].values():
        for doc in docs:
            spec = doc.get("spec", {}).get("template", {}).get("spec", {})
            allowed |= {c["image"] for c in spec.get("initContainers", []) + spec.get("containers", [])}
    seen = {}
    for ns in ("kube-system", "local-path-storage", config.SYSTEM_NAMESPACE):
        for p in kube.pods(ns):
            for c in (p.spec.init_containers or []) + p.spec.containers:
                seen[c.image] = f"{ns}/{p.metadata.name}"
    assert {image: where for image, where in seen.items() if image not in allowed} == {}
    assert mode.image(f"docker.io/cloudnativelabs/kube-router:v{KIT['KUBE_ROUTER_VERSION']}") in seen
    assert mode.image(f"rancher/local-path-provisioner:v{KIT['LOCAL_PATH_VERSION']}") in seen
    router = _kube_system_pod("kube-router-")
    assert f"v{KIT['KUBE_ROUTER_VERSION']}" in kube.exec_(router, ["kube-router", "--version"], "kube-system")
