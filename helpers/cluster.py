"""The lab cluster (DKOS's stand-in): kind, wired to the local registry, with a
pod network (kube-router), storage (local-path), an Ingress controller and metrics-server.

``up()`` is the same code online and offline; only the images differ
(:class:`helpers.config.Mode`). Re-running it is safe: each step checks first.
"""

from __future__ import annotations

import copy
import ssl
import tempfile
import time
from datetime import datetime, timezone

import requests
import urllib3
import yaml
from docker.errors import DockerException, NotFound

from . import config, kube, record, registry, waiting
from .docker_client import client
from .errors import ClusterError, LabError, PortInUse
from .i18n import _
from .ports import port_owner
from .progress import Progress, Steps
from .shell import run

SYSTEM_DIR = config.K8S_DIR / "system"
SYSTEM_MANIFESTS = [SYSTEM_DIR / "traefik.yaml", SYSTEM_DIR / "metrics-server.yaml"]
NETWORK_MANIFEST = SYSTEM_DIR / "kube-router.yaml"
STORAGE_MANIFEST = SYSTEM_DIR / "local-path-storage.yaml"
HOSTS_TOML = f'[host."http://{config.REGISTRY_NAME}:5000"]\n'


# How long `up` waits for a reused cluster's API server before it says the cluster does
# not come back (generous: a node Docker has just restarted boots its control plane first).
COME_BACK_TIMEOUT = 120.0


def kind_config(mode: config.Mode, workers: int = 0) -> dict:
    """The kind config from ``k8s/kind-cluster.yaml``, with ``workers`` worker nodes.

    Offline, kubeadm is pointed at the kit's image repository: the kit's images
    carry its own name, never the official one they are not. Their tags are the
    ones kubeadm asks for, so that repository is the only difference.

    >>> cfg = kind_config(config.Mode(offline=False), workers=2)
    >>> [n["role"] for n in cfg["nodes"]]
    ['control-plane', 'worker', 'worker']
    """
    cfg = yaml.safe_load((config.K8S_DIR / "kind-cluster.yaml").read_text())
    cfg["name"] = config.CLUSTER_NAME
    cfg["nodes"] = [n for n in cfg["nodes"] if n["role"] == "control-plane"] + [
        {"role": "worker"} for _ in range(workers)]
    # One source for the host port: the file says 80, and so do the port checks.
    for mapping in cfg["nodes"][0].get("extraPortMappings", []):
        if mapping["containerPort"] == config.INGRESS_NODE_PORT:
            mapping["hostPort"] = config.INGRESS_HTTP_PORT
    # Said on both paths (online it is kubeadm's default), so the two configs
    # differ in this one image reference.
    patch = {"kind": "ClusterConfiguration", "imageRepository": mode.image_repository}
    cfg.setdefault("kubeadmConfigPatches", []).append(yaml.safe_dump(patch))
    return cfg


def exists() -> bool:
    """True when kind knows the lab cluster. Twin: ``kind get clusters``"""
    out = run(["kind", "get", "clusters"], check=False).stdout
    return config.CLUSTER_NAME in out.split()


def node_containers() -> list:
    return client().containers.list(all=True, filters={"label": f"io.x-k8s.kind.cluster={config.CLUSTER_NAME}"})


def _check_ports() -> None:
    owner = port_owner(config.INGRESS_HTTP_PORT)
    ours = f"{config.CLUSTER_NAME}-control-plane"
    if owner and ours not in owner:
        raise PortInUse(_("host port {port} is taken; the Ingress needs it").format(port=config.INGRESS_HTTP_PORT),
                        state=owner, hint=_("stop that program or container (a local web server, another kind cluster), "
                                            "then run `labctl up` again"))


def up(offline: bool | None = None, *, workers: int = 0, retain: bool = False, recreate: bool = False,
       echo: bool = True, timeout: float = 600, metrics_server: bool = True) -> Steps:
    """Create (or re-check) the cluster, the registry, the Ingress controller (and metrics-server).

    An existing cluster is never deleted unless ``recreate``: when it differs
    from what ``up`` would make (mode, node image, nodes, kind config), or its
    nodes do not come back after a Docker restart, ``up`` stops with what it saw
    and the fix. A cluster half-made by this call is deleted on failure unless ``retain``.

    Twin: ``kind create cluster --config k8s/kind-cluster.yaml`` plus the registry and addon steps.
    """
    mode = config.detect_mode(offline)
    steps = Steps(echo=echo)
    created = False
    try:
        with steps.step(_("mode: offline (kit images)") if mode.offline else _("mode: online (public images)")):
            client()
            cfg = kind_config(mode, workers)
            want = record.wanted(mode, cfg, _local_image_id(mode))
            present = exists()
            # Judged before anything is touched: a cluster that differs stops `up` here.
            have = (record.read() or {}) if present else {}
            why = _differences(have, want, recreate, mode, workers) if present else ""
        with steps.step(_("registry localhost:5001")) as s:
            s.detail = registry.ensure(mode)
        with steps.step(_("kind cluster {name}").format(name=config.CLUSTER_NAME)) as s:
            if present and not why:
                s.detail, why = _reuse_or_stop(have, want, recreate, mode, workers)
            if not s.detail:
                node_image = _node_image(mode)  # before anything is deleted
                if present:
                    run(["kind", "delete", "cluster", "--name", config.CLUSTER_NAME])
                _check_ports()
                _create(cfg, node_image, retain, timeout)
                created = True
                record.write(want)
                s.detail = _("created with {count} node(s){why}").format(count=1 + workers, why=why)
            kube.forget_clients()
        with steps.step(_("registry wired into the nodes")) as s:
            s.detail = _surviving_restarts(_wire_registry, _("wiring the registry"), echo)
        with steps.step(_("pod network (kube-router)")) as s:
            s.detail = _surviving_restarts(lambda: install_network(mode), _("installing kube-router"), echo)
        with steps.step(_("nodes Ready, cluster DNS up")) as s:
            s.detail = _surviving_restarts(_nodes_and_dns, _("waiting for nodes and DNS"), echo)
        with steps.step(_("storage (local-path, default StorageClass)")) as s:
            s.detail = _surviving_restarts(lambda: _storage(mode), _("installing local-path"), echo)
        with steps.step(_("ingress controller (Traefik)")) as s:
            s.detail = _surviving_restarts(lambda: _ingress(mode), _("installing Traefik"), echo)
        if metrics_server:
            with steps.step("metrics-server") as s:
                s.detail = _surviving_restarts(lambda: _metrics_server(mode), _("installing metrics-server"), echo)
    except LabError:
        if created and not retain:
            run(["kind", "delete", "cluster", "--name", config.CLUSTER_NAME], check=False)
            if echo:
                print(_("✗ the half-made cluster was deleted (pass --retain to keep it for debugging)"))
        raise
    return steps


def _up_command(mode: config.Mode, workers: int) -> str:
    return "labctl up" + (" --offline" if mode.offline else "") + (f" --workers {workers}" if workers else "")


def _differences(have: dict, want: dict, recreate: bool, mode: config.Mode, workers: int) -> str:
    """"" when the existing cluster is what ``up`` would make. Otherwise, with
    ``recreate``, why it will be remade; without, a ClusterError naming what differs."""
    diffs = record.differences(have, want)
    if not diffs:
        return ""
    if recreate:
        return _(" (the old one differed: {differences})").format(differences="; ".join(diffs))
    raise ClusterError(_("the existing cluster {name} differs from what `{command}` would make; it was left as it is")
                       .format(name=config.CLUSTER_NAME, command=_up_command(mode, workers)),
                       state="\n".join(f"  - {d}" for d in diffs),
                       hint=_("run `labctl up` with the options the cluster was made with, or delete and remake it "
                              "(its workloads are lost): `{command} --recreate`").format(command=_up_command(mode, workers)))


def _local_image_id(mode: config.Mode) -> str | None:
    """The ID the node image's name points at on this machine (None before it is pulled)."""
    try:
        return client().images.get(mode.image(config.NODE_IMAGE_ONLINE)).id
    except NotFound:
        return None


def _reuse_or_stop(have: dict, want: dict, recreate: bool, mode: config.Mode, workers: int) -> tuple[str, str]:
    """Bring the existing cluster's nodes back: returns (what was done, "").

    When they do not come back: with ``recreate`` returns ("", why it will be
    remade); without, a ClusterError with the fix. Nothing is deleted here.
    """
    name = config.CLUSTER_NAME
    try:
        detail = _reuse_nodes()
    except ClusterError as err:
        if recreate:
            return "", _(" (the old one did not come back: {why})").format(why=err.what)
        raise ClusterError(_("the cluster {name} does not come back (its nodes or API server do not answer); "
                             "it was left as it is").format(name=name),
                           state=err.render(),
                           hint=_("restart them (`docker restart {name}-control-plane`, and any workers), then "
                                  "`labctl up`; or remake it (its workloads are lost): `{command} --recreate`")
                           .format(name=name, command=_up_command(mode, workers))) from err
    if "format" not in have:  # an old record that matched: store the full one
        record.write(want)
    return detail, ""


def _node_image(mode: config.Mode) -> str:
    """The node image, present locally (pulled online), checked before a cluster is deleted or made."""
    image = mode.image(config.NODE_IMAGE_ONLINE)
    try:
        client().images.get(image)
        return image
    except NotFound:
        pass
    if mode.offline:
        raise ClusterError(_("the offline kit's node image {image} is not built").format(image=image),
                           hint=_("build the kit first: offline-kit/build.sh (about 15 minutes cold, minutes when cached)"))
    repository, _at, digest = image.partition("@")
    bar = Progress(_("pull {image}").format(image=repository), total=None)
    layers: dict[str, bool] = {}
    try:
        for event in client().api.pull(f"{repository.split(':')[0]}@{digest}", stream=True, decode=True):
            if event.get("id") and event.get("status"):
                layers[event["id"]] = event["status"] in ("Pull complete", "Already exists")
                bar.update(sum(layers.values()), _("{done}/{total} layers").format(done=sum(layers.values()),
                                                                                  total=len(layers)), total=len(layers))
            if event.get("error"):
                raise ClusterError(_("pulling the node image {image} failed").format(image=image), state=event["error"],
                                   hint=_("check the internet connection, or use the offline kit: labctl up --offline"))
    except DockerException as err:
        raise ClusterError(_("pulling the node image {image} failed").format(image=image), state=str(err)[:400],
                           hint=_("check the internet connection, or use the offline kit: labctl up --offline")) from err
    finally:
        bar.close()
    return image


def _wire_registry() -> str:
    registry.connect()
    for node in node_containers():
        _write_hosts_toml(node)
    kube.apply([_registry_configmap()])
    return f"localhost:5001 -> {config.REGISTRY_NAME}:5000"


def _nodes_and_dns() -> str:
    ready = wait_nodes_ready(timeout=180)
    kube.wait("deployment/coredns", namespace="kube-system", timeout=180)
    return ", ".join(ready)


def install_network(mode: config.Mode, context: str | None = None) -> str:
    """Apply the pod network (kube-router); the nodes turn Ready once it runs on them.

    Twin: ``kubectl apply -f k8s/system/kube-router.yaml``
    """
    kube.apply(_system_docs(NETWORK_MANIFEST, mode), context=context)
    return _("kube-router: routes, masquerade, NetworkPolicy")


def _storage(mode: config.Mode) -> str:
    kube.apply(_system_docs(STORAGE_MANIFEST, mode))
    kube.wait("deployment/local-path-provisioner", namespace="local-path-storage", timeout=180)
    return "StorageClass standard (rancher.io/local-path)"


def _ingress(mode: config.Mode) -> str:
    kube.apply(_system_docs(SYSTEM_MANIFESTS[0], mode))
    # A rollout, not only Available: a changed manifest is live before `up` goes on.
    kube.rollout_status("traefik", config.SYSTEM_NAMESPACE, timeout=180)
    wait_ingress_ready()
    return f"http://*.localhost:{config.INGRESS_HTTP_PORT}"


def _metrics_server(mode: config.Mode) -> str:
    kube.apply(_system_docs(SYSTEM_MANIFESTS[1], mode))
    kube.rollout_status("metrics-server", "kube-system", timeout=240)
    kube.wait("apiservice/v1beta1.metrics.k8s.io", namespace="kube-system", timeout=120)
    wait_metrics_api(timeout=60)
    return _("metrics.k8s.io served (kubectl top works)")


def is_transport_error(err: BaseException) -> bool:
    """True when ``err`` (or what caused it) is a dropped or refused connection, not an answer.

    >>> is_transport_error(urllib3.exceptions.ProtocolError("Connection aborted"))
    True
    >>> is_transport_error(ValueError("bad"))
    False
    """
    seen = 0
    while err is not None and seen < 10:
        if isinstance(err, (urllib3.exceptions.HTTPError, requests.ConnectionError, ConnectionError,
                            ssl.SSLError, TimeoutError)):
            return True
        err = err.__cause__ or err.__context__
        seen += 1
    return False


def _surviving_restarts(work, what: str, echo: bool, attempts: int = 3):
    """Run ``work()``; when the API server drops the connection, wait for it and run it again.

    A kind node the engine has just restarted can restart its API server once
    more a little later (seen in CI: it answered, then closed every TLS
    handshake for over 10 s). Each step of ``up`` is idempotent, so it is
    retried after the API server has answered steadily again.
    """
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except Exception as err:  # noqa: BLE001 - only transport errors are retried
            if attempt == attempts or not is_transport_error(err):
                raise
            waited = _wait_api(180, steady=10)
            if echo:
                print(_("  … the API server dropped the connection while {what} ({error}); "
                        "it answered steadily again after {seconds:.0f}s — trying again ({attempt}/{attempts})")
                      .format(what=what, error=type(err).__name__, seconds=waited, attempt=attempt + 1, attempts=attempts),
                      flush=True)


def _create(cfg: dict, node_image: str, retain: bool, timeout: float) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        yaml.safe_dump(cfg, f)
    args = ["kind", "create", "cluster", "--name", config.CLUSTER_NAME, "--config", f.name,
            "--image", node_image, "--wait", "0s"]
    if retain:
        args.append("--retain")
    run(args, timeout=timeout, hint=_("read the kind output above; `labctl doctor` checks memory and ports; "
                                      "`kind export logs` collects the node logs"))


def _reuse_nodes() -> str:
    """Start stopped node containers, then wait until the API server answers and every node is Ready.

    A node the engine has just (re)started is "running" long before its API
    server listens: its published port accepts TCP and then closes the TLS
    handshake. So the wait happens on every reuse, not only after a start.
    Raises ClusterError when the cluster does not come back.
    """
    nodes = node_containers()
    stopped = [c for c in nodes if c.status != "running"]
    for c in stopped:
        c.start()
    # Just after a (re)start the control plane may still restart a component:
    # then ask for 15 s of steady answers, otherwise one answer is enough.
    young = bool(stopped) or min(_seconds_since_start(c) for c in nodes) < 300
    waited = _wait_api(COME_BACK_TIMEOUT, steady=15 if young else 0)  # leaves a fresh client cached
    try:
        wait_nodes_ready(timeout=120)
    except ClusterError:
        raise
    except Exception as err:  # noqa: BLE001 - a half-up API server raises transport errors too
        raise ClusterError(_("the restarted cluster's nodes do not answer"), state=str(err)[:300]) from err
    steady = _(", then 15s steady") if young else ""
    if stopped:
        return _("restarted {count} stopped node(s) (API server answered after {seconds:.0f}s{steady})").format(
            count=len(stopped), seconds=waited, steady=steady)
    if waited < 1 and not young:
        return _("already running")
    return _("already running (API server answered after {seconds:.0f}s{steady})").format(seconds=waited, steady=steady)


def _seconds_since_start(container) -> float:
    """Seconds since the engine last started ``container`` (inf when unknown)."""
    started = (container.attrs.get("State") or {}).get("StartedAt") or ""
    try:
        when = datetime.fromisoformat(started[:26].rstrip("Z") + "+00:00")
    except ValueError:
        return float("inf")
    return (datetime.now(timezone.utc) - when).total_seconds()


def _wait_api(timeout: float, steady: float = 0) -> float:
    """Wait until the API server answers, and keeps answering for ``steady`` seconds.

    Returns the seconds waited before the first answer of the steady run.
    """
    start = time.monotonic()
    last, first_ok = "", None

    def steady_answer() -> float | None:
        nonlocal last, first_ok
        try:
            kube.forget_clients()
            # no retries: a connection dropped inside the steady window must count
            kube.core(retry=False).list_namespace(limit=1, _request_timeout=10)
        except Exception as err:  # noqa: BLE001 - the API server is still starting
            last, first_ok = str(err)[:300], None
            return None
        first_ok = first_ok or time.monotonic()
        return first_ok - start if time.monotonic() - first_ok >= steady else None

    return waiting.poll(steady_answer, timeout=timeout, what=_("the cluster's API server answering"),
                        seen=lambda: last, hint=_("`labctl down` then `labctl up`"), error=ClusterError)


def _write_hosts_toml(node) -> None:
    path = f"/etc/containerd/certs.d/{config.REGISTRY_HOST}"
    cmd = ["sh", "-c", f"mkdir -p '{path}' && cat > '{path}/hosts.toml' <<'EOF'\n{HOSTS_TOML}EOF"]
    code, out = node.exec_run(cmd)
    if code != 0:
        raise ClusterError(_("could not configure the registry mirror on {node}").format(node=node.name),
                           state=out.decode())


def _registry_configmap() -> dict:
    # KEP-1755: tells tools (and learners) where the cluster's local registry is.
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "local-registry-hosting", "namespace": "kube-public"},
            "data": {"localRegistryHosting.v1": f'host: "{config.REGISTRY_HOST}"\n'
                                                "help: \"https://kind.sigs.k8s.io/docs/user/local-registry/\"\n"}}


def _system_docs(path, mode: config.Mode) -> list[dict]:
    """A system manifest with each container image mapped for the mode.

    Images are the only thing mapped: pod templates' containers and init
    containers, and the helper pod template local-path keeps in its ConfigMap.
    """
    docs = copy.deepcopy(kube.load_docs(path))
    for doc in docs:
        spec = doc.get("spec", {}).get("template", {}).get("spec", {})
        _map_images(spec, mode)
        if doc.get("kind") == "ConfigMap" and "helperPod.yaml" in doc.get("data", {}):
            pod = yaml.safe_load(doc["data"]["helperPod.yaml"])
            _map_images(pod["spec"], mode)
            doc["data"]["helperPod.yaml"] = yaml.safe_dump(pod, sort_keys=False)
    return docs


def _map_images(pod_spec: dict, mode: config.Mode) -> None:
    for c in pod_spec.get("initContainers", []) + pod_spec.get("containers", []):
        c["image"] = mode.image(c["image"])


def system_docs(mode: config.Mode) -> dict[str, list[dict]]:
    """Every system manifest ``up`` applies, by file name, as applied in ``mode``."""
    paths = [NETWORK_MANIFEST, STORAGE_MANIFEST, *SYSTEM_MANIFESTS]
    return {p.name: _system_docs(p, mode) for p in paths}


# The control plane's images, named as kubeadm names them under its imageRepository
# (the tags are kubeadm v1.34's own: versions.env holds the same).
def control_plane_images(mode: config.Mode) -> list[str]:
    """The images kubeadm and containerd run on the nodes, for ``mode``.

    >>> control_plane_images(config.Mode(offline=False))[0]
    'registry.k8s.io/kube-apiserver:v1.34.11'
    """
    kit, repo = config.KIT, mode.image_repository
    k8s = f"v{kit['K8S_VERSION']}"
    names = [f"kube-apiserver:{k8s}", f"kube-controller-manager:{k8s}", f"kube-scheduler:{k8s}",
             f"kube-proxy:{k8s}", f"etcd:{kit['ETCD_IMAGE_TAG']}",
             # kubeadm files CoreDNS under coredns/ only in its default repository
             ("coredns/" if repo == config.KUBEADM_IMAGE_REPOSITORY else "") + f"coredns:v{kit['COREDNS_VERSION']}",
             f"pause:{kit['PAUSE_VERSION']}"]
    return [f"{repo}/{n}" for n in names]


def rendered(mode: config.Mode, workers: int = 0) -> dict:
    """Everything ``up`` would create in ``mode``: the kind config, the node image,
    the control plane's and the registry's images, and every system manifest as applied.

    Online and offline must differ only in image references (tests/unit/test_offline_equality.py).
    """
    return {"kind_config": kind_config(mode, workers),
            "node_image": mode.image(config.NODE_IMAGE_ONLINE),
            "registry_image": mode.image(registry.REGISTRY_IMAGE),
            "control_plane_images": control_plane_images(mode),
            "system": system_docs(mode)}


def wait_nodes_ready(timeout: float = 180, context: str | None = None) -> list[str]:
    """Wait until every node is Ready and untainted by not-ready; returns ``name=Ready`` lines.

    Twin: ``kubectl get nodes -w``
    """
    def lines(view: dict) -> list[str]:
        return [f"{name}={'Ready' if _node_ready(n) else 'NotReady'}" for name, n in sorted(view["nodes"].items())]

    def all_ready(view: dict) -> list[str] | None:
        state = lines(view)
        return state if state and all(s.endswith("=Ready") for s in state) else None

    dyn = kube.dynamic(context)
    return waiting.watch(waiting.Source("nodes", dyn.resources.get(api_version="v1", kind="Node"), dyn),
                         all_ready, timeout=timeout, what=_("every node Ready"),
                         seen=lambda view: "\n".join(lines(view)) or _("no nodes"), error=ClusterError,
                         hint=_("a node stays NotReady without a pod network: `kubectl -n kube-system get pods`"))


def _node_ready(node: dict) -> bool:
    status, spec = node.get("status") or {}, node.get("spec") or {}
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or []) \
        and not any(t.get("key") == "node.kubernetes.io/not-ready" for t in spec.get("taints") or [])


def wait_metrics_api(timeout: float = 60) -> None:
    """Wait until ``/apis/metrics.k8s.io/v1beta1`` answers through the API server.

    "Available" on the APIService is not enough: it was True while every proxied
    request got 404 (see k8s/kind-cluster.yaml). Twin: ``kubectl get --raw /apis/metrics.k8s.io/v1beta1``
    """
    last = ""

    def answers() -> bool | None:
        nonlocal last
        try:
            api = kube.api()
            resp = api.call_api("GET", api.configuration.host + "/apis/metrics.k8s.io/v1beta1",
                                header_params={"Accept": "application/json"}, _request_timeout=10)
            if resp.status == 200:
                return True
            last = f"HTTP {resp.status}"
        except Exception as err:  # noqa: BLE001 - ApiException or a transport error
            last = str(err)[:300]
        return None

    waiting.poll(answers, timeout=timeout, what=_("the metrics API answering"), seen=lambda: last, error=ClusterError,
                 hint=_("`kubectl -n kube-system logs deploy/metrics-server`; then `labctl down` and `labctl up`"))


def wait_ingress_ready(timeout: float = 60) -> None:
    """Wait until the Ingress controller answers on host port 80 (404 for an unknown host is fine)."""
    last = ""

    def answers() -> bool | None:
        nonlocal last
        try:
            resp = requests.get(f"http://127.0.0.1:{config.INGRESS_HTTP_PORT}/",
                                headers={"Host": "kubelab-probe.localhost"}, timeout=3)
            if resp.status_code in (200, 404):
                return True
            last = f"HTTP {resp.status_code}"
        except requests.RequestException as err:
            last = str(err)[:200]
        return None

    waiting.poll(answers, timeout=timeout,
                 what=_("the Ingress controller answering on host port {port}").format(port=config.INGRESS_HTTP_PORT),
                 seen=lambda: last, error=ClusterError,
                 hint=_("check the kind port mapping (docker port kubelab-control-plane) and the Traefik pod"))


def info() -> dict:
    """The cluster's nodes, Kubernetes version and context. Twin: ``kubectl get nodes -o wide``"""
    nodes = kube.core().list_node().items
    version = k8s_version()
    return {"context": kube.context_name(), "version": version,
            "nodes": [{"name": n.metadata.name,
                       "roles": ",".join(k.split("/", 1)[1] for k in n.metadata.labels
                                         if k.startswith("node-role.kubernetes.io/")) or "worker",
                       "ready": any(c.type == "Ready" and c.status == "True" for c in n.status.conditions),
                       "kubelet": n.status.node_info.kubelet_version,
                       "runtime": n.status.node_info.container_runtime_version,
                       "os": n.status.node_info.os_image,
                       "kernel": n.status.node_info.kernel_version} for n in nodes]}


def k8s_version() -> str:
    from kubernetes import client as k8s  # noqa: PLC0415

    return k8s.VersionApi(kube.api()).get_code().git_version


def down(*, keep_registry: bool = False, echo: bool = True) -> Steps:
    """Delete the cluster (and the registry unless ``keep_registry``). Twin: ``kind delete cluster --name kubelab``"""
    steps = Steps(echo=echo)
    with steps.step(_("kind cluster {name} deleted").format(name=config.CLUSTER_NAME)):
        run(["kind", "delete", "cluster", "--name", config.CLUSTER_NAME])
        kube.forget_clients()
    if not keep_registry:
        with steps.step(_("registry removed")):
            registry.remove()
    return steps
