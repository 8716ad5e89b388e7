"""The lecture's capacity example ("9 servers → 4") as a model, and a side cluster
with worker nodes on which the real scheduler places pods for comparison."""

from __future__ import annotations

import math
import tempfile

import yaml

from . import cluster, config, kube
from .shell import run

SIDE_CLUSTER = "kubelab-capacity"


def servers_needed(peaks: dict[str, int], spare: int = 1) -> dict[str, int]:
    """Servers for load peaks that do not overlap: each peak on its own servers,
    or one shared, autoscaled pool sized for the largest peak plus spares.

    >>> servers_needed({"morning": 3, "noon": 3, "evening": 3})
    {'dedicated': 9, 'shared': 4, 'backup_dedicated': 3, 'backup_shared': 1}
    """
    return {"dedicated": sum(peaks.values()), "shared": max(peaks.values()) + spare,
            "backup_dedicated": len(peaks), "backup_shared": spare}


def pods_per_node(allocatable_millicpu: int, reserved_millicpu: int, request_millicpu: int) -> int:
    """How many pods of ``request`` fit on a node once its own daemons are placed.

    >>> pods_per_node(2000, 110, 600)
    3
    """
    return max(0, (allocatable_millicpu - reserved_millicpu) // request_millicpu)


def predict(replicas: int, nodes: int, per_node: int) -> dict[str, int]:
    """Where the model says ``replicas`` pods go: how many run, how many stay Pending.

    >>> predict(7, 2, 3)
    {'running': 6, 'pending': 1, 'nodes_used': 2}
    """
    running = min(replicas, nodes * per_node)
    return {"running": running, "pending": replicas - running, "nodes_used": math.ceil(running / per_node)
            if per_node else 0}


def capacity_widget():
    """Sliders for the three peaks and the spares; shows dedicated vs shared servers.
    Outside JupyterLab it returns the lecture's numbers as text."""
    from .progress import in_notebook  # noqa: PLC0415

    if not in_notebook():
        return str(servers_needed({"morning": 3, "noon": 3, "evening": 3}))
    import ipywidgets as widgets  # noqa: PLC0415

    def show(morning=3, noon=3, evening=3, spare=1):
        n = servers_needed({"morning": morning, "noon": noon, "evening": evening}, spare)
        print(f"each peak its own servers: {n['dedicated']} | one autoscaled pool: {n['shared']}")

    return widgets.interactive(show, morning=(0, 10), noon=(0, 10), evening=(0, 10), spare=(0, 3))


def create_side_cluster(workers: int = 2, offline: bool | None = None) -> str:
    """A second kind cluster with worker nodes and no host ports; returns its context.

    Twin: ``kind create cluster --name kubelab-capacity --config <workers config>``
    """
    mode = config.detect_mode(offline)
    cfg = cluster.kind_config(mode, workers)
    cfg["name"] = SIDE_CLUSTER
    for node in cfg["nodes"]:
        node.pop("extraPortMappings", None)
    delete_side_cluster()
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        yaml.safe_dump(cfg, f)
        f.flush()
        run(["kind", "create", "cluster", "--name", SIDE_CLUSTER, "--config", f.name,
             "--image", mode.image(config.NODE_IMAGE_ONLINE), "--wait", "0s"], timeout=600)
    context = f"kind-{SIDE_CLUSTER}"
    kube.forget_clients()
    # kind installs no pod network (disableDefaultCNI): the nodes wait for the lab's own.
    cluster.install_network(mode, context=context)
    cluster.wait_nodes_ready(timeout=180, context=context)
    _restore_current_context()
    return context


def _restore_current_context() -> None:
    # kind makes a new cluster the current context, and deleting it leaves none:
    # point kubectl back at the lab cluster so typed commands keep working.
    run(["kubectl", "config", "use-context", config.KIND_CONTEXT], check=False)


def delete_side_cluster() -> None:
    """Twin: ``kind delete cluster --name kubelab-capacity``"""
    run(["kind", "delete", "cluster", "--name", SIDE_CLUSTER], check=False)
    _restore_current_context()
    kube.forget_clients()


def node_budget(context: str) -> dict[str, dict[str, int]]:
    """Each schedulable worker's allocatable CPU and what its daemons already request (millicores)."""
    out = {}
    pods = kube.core(context).list_pod_for_all_namespaces().items
    for node in kube.core(context).list_node().items:
        if any(t.effect == "NoSchedule" for t in node.spec.taints or []):
            continue
        alloc = _millicpu(node.status.allocatable["cpu"])
        reserved = sum(_millicpu((c.resources.requests or {}).get("cpu", "0")) for p in pods
                       if p.spec.node_name == node.metadata.name for c in p.spec.containers)
        out[node.metadata.name] = {"allocatable": alloc, "reserved": reserved}
    return out


def _millicpu(value: str) -> int:
    return int(value[:-1]) if value.endswith("m") else int(float(value) * 1000)


def placement(context: str, namespace: str, selector: str) -> dict[str, int]:
    """Where the scheduler put the pods: a count per node, and ``Pending``."""
    counts: dict[str, int] = {}
    for p in kube.pods(namespace, selector, context=context):
        key = p.spec.node_name or "Pending"
        counts[key] = counts.get(key, 0) + 1
    return counts
