"""The offline pod network across nodes: a pod on one kind node reaches a pod on
another through the routes kube-router installs (the same network online)."""

from __future__ import annotations

import json

import pytest

from helpers import capacity, cluster, kube, registry
from helpers.docker_client import client

pytestmark = pytest.mark.cluster


def test_pod_on_one_node_reaches_a_pod_on_another(lab_cluster, hello_image):
    ctx = capacity.create_side_cluster(workers=1)
    try:
        for node in client().containers.list(filters={"label": f"io.x-k8s.kind.cluster={capacity.SIDE_CLUSTER}"}):
            cluster._write_hosts_toml(node)
        registry.connect()
        pods = {}
        for node in (f"{capacity.SIDE_CLUSTER}-control-plane", f"{capacity.SIDE_CLUSTER}-worker"):
            name = "on-" + node.rsplit("-", 1)[-1]
            kube.apply([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                         "spec": {"nodeName": node, "tolerations": [{"operator": "Exists"}],
                                  "containers": [{"name": "app", "image": hello_image}]}}], "default", context=ctx)
            pods[name] = node
        for name in pods:
            kube.wait(f"pod/{name}", "condition=Ready", namespace="default", timeout=120, context=ctx)
        ips = {n: kube.core(ctx).read_namespaced_pod(n, "default").status.pod_ip for n in pods}
        assert ips["on-plane"].rsplit(".", 1)[0] != ips["on-worker"].rsplit(".", 1)[0], ips  # two podCIDRs
        # kube-router learns a new node's podCIDR over BGP within seconds: allow for it.
        script = ("import time, urllib.request as u\n"
                  "for attempt in range(20):\n"
                  "    try:\n"
                  f"        print(u.urlopen('http://{ips['on-worker']}:8080/api', timeout=2).read().decode()); break\n"
                  "    except OSError:\n"
                  "        time.sleep(1)\n")
        answer = json.loads(kube.exec_("on-plane", ["/bin/python", "-c", script], "default", context=ctx))
        assert answer["pod"] == "on-worker"
    finally:
        capacity.delete_side_cluster()
