"""Names, paths and the one online/offline switch.

Online and offline differ only in where images come from: :func:`image_for`
maps each public image to the offline kit's local build when offline is on.
"""

from __future__ import annotations

import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from .i18n import _

REPO_ROOT = Path(__file__).resolve().parent.parent
K8S_DIR = REPO_ROOT / "k8s"
KIT_DIR = REPO_ROOT / "offline-kit"
CACHE_DIR = Path(os.environ.get("KUBELAB_CACHE", "/var/cache/kubelab"))

CLUSTER_NAME = os.environ.get("KUBELAB_CLUSTER", "kubelab")
KIND_CONTEXT = f"kind-{CLUSTER_NAME}"
REGISTRY_NAME = "kubelab-registry"
REGISTRY_PORT = 5001
REGISTRY_HOST = f"localhost:{REGISTRY_PORT}"
INGRESS_HTTP_PORT = 80
INGRESS_NODE_PORT = 30080
SYSTEM_NAMESPACE = "kubelab-system"

PART_OF = "app.kubernetes.io/part-of"
PART_OF_VALUE = "kubelab"
LAB_LABEL = "kubelab.dev/lab"


def _kit_versions() -> dict[str, str]:
    values = {}
    for line in (KIT_DIR / "versions.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


KIT = _kit_versions()
# KUBELAB_KIT_REPO: a trial kit built under another name (offline-kit/build.sh reads it too).
KIT_REPO = os.environ.get("KUBELAB_KIT_REPO") or KIT["KIT_REPO"]

# Public image -> the offline kit's local build of the same software.
NODE_IMAGE_ONLINE = "kindest/node:v1.34.11@sha256:44e222ee2132dab25ff87301682f89eb82c7880ea3a1bf543bfe9708fd08d67d"
PUBLIC_TO_KIT = {
    NODE_IMAGE_ONLINE: f"{KIT_REPO}/node:v{KIT['K8S_VERSION']}",
    "registry:2": f"{KIT_REPO}/registry:{KIT['REGISTRY_VERSION']}",
    f"traefik:v{KIT['TRAEFIK_VERSION']}": f"{KIT_REPO}/traefik:v{KIT['TRAEFIK_VERSION']}",
    f"registry.k8s.io/metrics-server/metrics-server:v{KIT['METRICS_SERVER_VERSION']}":
        f"{KIT_REPO}/metrics-server:v{KIT['METRICS_SERVER_VERSION']}",
    # The app base: Debian bookworm's Python 3.11 on both paths (one minor version).
    "python:3.11-slim-bookworm": f"{KIT_REPO}/bookworm-python3:{KIT['DEBIAN_SUITE']}",
    # The Spring Boot sample's two stages (apps/spring-hello/Dockerfile): Temurin 17 online,
    # Debian bookworm's OpenJDK 17 offline (one major version). The kit's build image also
    # carries that app's Maven artefacts and runs Maven offline: a build has no network there.
    "maven:3.9-eclipse-temurin-17": f"{KIT_REPO}/bookworm-jdk17-maven-m2:{KIT['DEBIAN_SUITE']}",
    "eclipse-temurin:17-jre": f"{KIT_REPO}/bookworm-jre17:{KIT['DEBIAN_SUITE']}",
    f"registry.k8s.io/pause:{KIT['PAUSE_VERSION']}": f"{KIT_REPO}/pause:{KIT['PAUSE_VERSION']}",
    # The pod network and storage (k8s/system/kube-router.yaml, local-path-storage.yaml):
    # the same module versions, built by the kit.
    f"docker.io/cloudnativelabs/kube-router:v{KIT['KUBE_ROUTER_VERSION']}":
        f"{KIT_REPO}/kube-router:v{KIT['KUBE_ROUTER_VERSION']}",
    f"rancher/local-path-provisioner:v{KIT['LOCAL_PATH_VERSION']}":
        f"{KIT_REPO}/local-path-provisioner:v{KIT['LOCAL_PATH_VERSION']}",
    # local-path's helper pod only runs sh, mkdir and rm: the kit's Debian minbase.
    "busybox:1.37.0": f"{KIT_REPO}/bookworm-iptables:{KIT['DEBIAN_SUITE']}",
    # A minimal Debian without Python: the kit's bookworm minbase (plus iptables).
    "debian:bookworm-slim": f"{KIT_REPO}/bookworm-iptables:{KIT['DEBIAN_SUITE']}",
}


# Where kubeadm takes the control plane's images (apiserver, etcd, CoreDNS, pause...):
# its default online, the kit's repository offline (same names and tags).
KUBEADM_IMAGE_REPOSITORY = "registry.k8s.io"


@dataclass(frozen=True)
class Mode:
    """Where images come from. ``offline`` uses the kit's local images."""

    offline: bool

    def image(self, public: str) -> str:
        """The image to use for ``public`` in this mode.

        >>> Mode(offline=False).image("registry:2")
        'registry:2'
        >>> Mode(offline=True).image("registry:2").startswith("kubelab.local/kit/registry:")
        True
        """
        if not self.offline:
            return public
        try:
            return PUBLIC_TO_KIT[public]
        except KeyError:
            raise KeyError(_("the offline kit has no build of {image}").format(image=repr(public))) from None

    @property
    def image_repository(self) -> str:
        """kubeadm's ``imageRepository``: the control plane's images come from there.

        >>> Mode(offline=False).image_repository
        'registry.k8s.io'
        """
        return KIT_REPO if self.offline else KUBEADM_IMAGE_REPOSITORY


def registry_reachable(host: str = "registry-1.docker.io", timeout: float = 3.0) -> bool:
    """True when the public container registry answers on TCP 443."""
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def detect_mode(offline: bool | None = None) -> Mode:
    """The mode: explicit, else ``KUBELAB_OFFLINE=0/1``, else the one the cluster was made in,
    else offline when Docker Hub is unreachable.

    The cluster's recorded mode comes before the probe, so a network blip cannot
    flip an existing cluster's mode.
    """
    if offline is None:
        env = os.environ.get("KUBELAB_OFFLINE")
        if env in ("0", "1"):
            offline = env == "1"
        else:
            from .record import recorded_mode  # noqa: PLC0415 - record needs Docker, config must not

            recorded = recorded_mode()
            offline = recorded.offline if recorded else not registry_reachable()
    return Mode(offline=bool(offline))


def tool_path(name: str) -> str | None:
    """The path of ``kind`` or ``kubectl``: the pinned one in the user's tool folder, then PATH, then the kit."""
    from .tools import user_bin  # noqa: PLC0415 - tools imports config

    pinned = user_bin() / name
    if pinned.exists():
        return str(pinned)
    found = shutil.which(name)
    if found:
        return found
    candidate = CACHE_DIR / "kit" / "bin" / "current" / name
    return str(candidate) if candidate.exists() else None


def labels(lab: str | None = None) -> dict[str, str]:
    """The labels every object the suite creates carries.

    >>> labels("04")
    {'app.kubernetes.io/part-of': 'kubelab', 'kubelab.dev/lab': '04'}
    """
    out = {PART_OF: PART_OF_VALUE}
    if lab:
        out[LAB_LABEL] = lab
    return out
