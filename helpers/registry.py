"""The local registry (D2Hub's stand-in) at ``localhost:5001``.

A ``registry:2`` container (offline: the kit's build of the same software),
published on the host's loopback and joined to kind's network, where the nodes'
containerd reaches it by name.
"""

from __future__ import annotations


import requests
from docker.errors import APIError, NotFound

from . import config, waiting
from .docker_client import client
from .errors import ClusterError, PortInUse
from .i18n import _
from .ports import port_owner


REGISTRY_IMAGE = "registry:2"

def status() -> str:
    """``running``, ``stopped`` or ``missing``. Twin: ``docker ps -a -f name=kubelab-registry``"""
    try:
        c = client().containers.get(config.REGISTRY_NAME)
    except NotFound:
        return "missing"
    return "running" if c.status == "running" else "stopped"


def ensure(mode: config.Mode) -> str:
    """Start the registry if it is not running; returns what was done.

    Twin: ``docker run -d --restart=always -p 127.0.0.1:5001:5000 --name kubelab-registry registry:2``
    """
    state = status()
    if state == "running":
        wait_ready()
        return _("already running")
    if state == "stopped":
        client().containers.get(config.REGISTRY_NAME).start()
        wait_ready()
        return _("started")
    owner = port_owner(config.REGISTRY_PORT)
    if owner:
        raise PortInUse(_("port {port} is taken, the local registry needs it").format(port=config.REGISTRY_PORT),
                        state=owner,
                        hint=_("stop what listens on {port} (see above), then run `labctl up` again").format(
                            port=config.REGISTRY_PORT))
    image = mode.image(REGISTRY_IMAGE)
    if mode.offline and not _image_present(image):
        raise ClusterError(_("the offline kit's registry image {image} is missing").format(image=image),
                           hint=_("build the kit: offline-kit/build.sh (about 15 minutes the first time)"))
    try:
        client().containers.run(image, name=config.REGISTRY_NAME, detach=True,
                                restart_policy={"Name": "always"},
                                ports={"5000/tcp": ("127.0.0.1", config.REGISTRY_PORT)},
                                labels=config.labels())
    except APIError as err:
        raise ClusterError(_("the registry container did not start"), state=str(err),
                           hint=_("online: check that `docker pull registry:2` works; offline: pass --offline")
                           ) from None
    wait_ready()
    return _("created")


def _image_present(image: str) -> bool:
    try:
        client().images.get(image)
        return True
    except NotFound:
        return False


def wait_ready(timeout: float = 30) -> None:
    def answers() -> bool | None:
        try:
            return True if requests.get(f"http://{config.REGISTRY_HOST}/v2/", timeout=2).status_code == 200 else None
        except requests.RequestException:
            return None

    waiting.poll(answers, timeout=timeout, error=ClusterError,
                 what=_("the registry at {host} answering").format(host=config.REGISTRY_HOST),
                 seen=lambda: client().containers.get(config.REGISTRY_NAME).logs(tail=10).decode(errors="replace"),
                 hint=_("`docker logs kubelab-registry`; remove it with `labctl down` and run `labctl up`"))


def connect(network: str = "kind") -> None:
    """Join the registry to kind's network, so nodes reach it as ``kubelab-registry:5000``.

    Twin: ``docker network connect kind kubelab-registry``
    """
    net = client().networks.get(network)
    net.reload()
    if config.REGISTRY_NAME not in {c.name for c in net.containers}:
        net.connect(config.REGISTRY_NAME)


def tags(repository: str) -> list[str]:
    """The tags the registry holds for a repository. Twin: ``curl localhost:5001/v2/NAME/tags/list``"""
    resp = requests.get(f"http://{config.REGISTRY_HOST}/v2/{repository}/tags/list", timeout=5)
    if resp.status_code == 404:
        return []
    resp.raise_for_status()
    return sorted(resp.json().get("tags") or [])


# A tag's manifest in any of the formats docker push writes; the registry answers
# 404 for a format not asked for.
_MANIFEST_TYPES = ", ".join(["application/vnd.docker.distribution.manifest.v2+json",
                             "application/vnd.oci.image.manifest.v1+json",
                             "application/vnd.docker.distribution.manifest.list.v2+json",
                             "application/vnd.oci.image.index.v1+json"])


def digest(repository: str, tag: str) -> str | None:
    """The digest the registry gives ``repository:tag``, or None when it has no such tag.
    Twin: ``curl -I localhost:5001/v2/NAME/manifests/TAG``"""
    resp = requests.head(f"http://{config.REGISTRY_HOST}/v2/{repository}/manifests/{tag}",
                         headers={"Accept": _MANIFEST_TYPES}, timeout=5)
    if resp.status_code == 404:
        return None
    resp.raise_for_status()
    return resp.headers.get("Docker-Content-Digest")


def remove() -> None:
    """Delete the registry container and its storage. Twin: ``docker rm -f -v kubelab-registry``"""
    try:
        client().containers.get(config.REGISTRY_NAME).remove(force=True, v=True)
    except NotFound:
        pass


def repositories() -> list[str]:
    """Every repository the registry holds. Twin: ``curl localhost:5001/v2/_catalog``"""
    resp = requests.get(f"http://{config.REGISTRY_HOST}/v2/_catalog", timeout=5)
    resp.raise_for_status()
    return sorted(resp.json().get("repositories") or [])


def forget(repository: str) -> bool:
    """Make the registry forget a repository's tags (a lab's reset); returns whether it held any.

    The registry keeps tags as files: removing the repository's folder drops its
    tags (layers stay until a garbage collection). Twin:
    ``docker exec kubelab-registry rm -rf /var/lib/registry/docker/registry/v2/repositories/NAME``
    """
    if not tags(repository):
        return False
    path = f"/var/lib/registry/docker/registry/v2/repositories/{repository}"
    code, out = client().containers.get(config.REGISTRY_NAME).exec_run(["rm", "-rf", path])
    if code != 0:
        raise ClusterError(_("could not remove {repository} from the registry").format(repository=repository),
                           state=out.decode(errors="replace"),
                           hint=_("`labctl down` then `labctl up` starts an empty registry"))
    return True
