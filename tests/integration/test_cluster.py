"""Proof that the cluster is real: nodes Ready, an app reached through the
Ingress on host port 80, self-healing, Service load spreading, CoreDNS."""

from __future__ import annotations

import collections
import json
import subprocess
import time

import pytest

from helpers import config, kube, lessons, manifests, pipeline
from helpers.shell import tool

pytestmark = pytest.mark.cluster


def deploy_hello(namespace: str, image: str, replicas: int = 2) -> str:
    """The sample app's own manifests, with the image and a host unique to this namespace."""
    docs = manifests.render(manifests.load_dir(config.REPO_ROOT / "apps" / "hello" / "k8s"), image, namespace)
    host = f"{namespace}.localhost"
    for d in docs:
        if d["kind"] == "Ingress":
            d["spec"]["rules"][0]["host"] = host
        if d["kind"] == "Deployment":
            d["spec"]["replicas"] = replicas
    manifests.validate(docs, image, namespace=namespace)
    kube.apply(docs, namespace)
    kube.rollout_status("hello", namespace, timeout=120)
    # The Ingress controller picks a new Ingress up within a moment, not at once.
    pipeline.wait_url(f"http://{host}/", "version=v1", timeout=60)
    return f"http://{host}/"


def test_kubectl_get_nodes_shows_ready(lab_cluster):
    out = subprocess.run([tool("kubectl"), "--context", config.KIND_CONTEXT, "get", "nodes", "--no-headers"],
                         capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.strip().splitlines()]
    assert rows and all(r[1] == "Ready" for r in rows), out
    assert any(r[0] == f"{config.CLUSTER_NAME}-control-plane" for r in rows)
    assert all(n["ready"] for n in lab_cluster["nodes"])
    assert lab_cluster["version"].startswith("v1.34."), lab_cluster["version"]


def test_system_pods_run(lab_cluster):
    rows = kube.pod_table("kube-system")
    by_prefix = collections.Counter(r["name"].rsplit("-", 2)[0] if r["name"].count("-") >= 2 else r["name"]
                                    for r in rows if r["status"] == "Running")
    for component in ("coredns", "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        assert any(name.startswith(component) for name in by_prefix), (component, rows)
    traefik = kube.pod_table(config.SYSTEM_NAMESPACE, "app.kubernetes.io/name=traefik")
    assert traefik and traefik[0]["status"] == "Running" and traefik[0]["ready"] == "1/1"


def test_kubectl_top_reads_node_metrics_from_metrics_server(lab_cluster):
    # metrics.k8s.io through the API server's aggregator: what the HPA reads.
    out, deadline = "", time.monotonic() + 90
    while time.monotonic() < deadline:
        proc = subprocess.run([tool("kubectl"), "--context", config.KIND_CONTEXT, "top", "nodes", "--no-headers"],
                              capture_output=True, text=True)
        out = proc.stdout + proc.stderr
        if proc.returncode == 0:
            break
        time.sleep(3)
    row = next(line.split() for line in out.splitlines() if line.startswith(f"{config.CLUSTER_NAME}-control-plane"))
    assert row[1].endswith("m") and int(row[1][:-1]) > 0, out  # CPU in millicores, measured
    assert row[3].endswith("Mi") and int(row[3][:-2]) > 100, out  # a node uses hundreds of MiB


def test_local_image_behind_service_and_ingress_answers_on_port_80(namespace, hello_image):
    url = deploy_hello(namespace, hello_image)
    resp = pipeline.get(url)
    assert resp.status_code == 200
    assert resp.text.startswith("Hello from kubelab! version=v1 pod=hello-"), resp.text
    # The Ingress status carries the address the controller publishes (the "Ingress IP").
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ing = kube.get("ingress", "hello", namespace)
        lb = (ing.get("status") or {}).get("loadBalancer", {}).get("ingress") or []
        if lb:
            break
        time.sleep(1)
    assert lb and lb[0].get("ip") == "127.0.0.1", ing.get("status")
    # The same URL through curl, as a learner types it (curl resolves *.localhost itself).
    curl = subprocess.run(["curl", "-s", "--max-time", "5", "--resolve", f"{namespace}.localhost:80:127.0.0.1", url],
                          capture_output=True, text=True)
    assert "version=v1" in curl.stdout


def test_deleted_pod_comes_back(namespace, hello_image):
    deploy_hello(namespace, hello_image, replicas=2)
    before = {r["name"] for r in kube.pod_table(namespace, "app=hello")}
    victim = sorted(before)[0]
    kube.core().delete_namespaced_pod(victim, namespace)
    started = time.monotonic()
    deadline = started + 90
    while time.monotonic() < deadline:
        rows = [r for r in kube.pod_table(namespace, "app=hello") if r["status"] == "Running" and r["ready"] == "1/1"]
        names = {r["name"] for r in rows}
        if len(names) == 2 and victim not in names:
            break
        time.sleep(0.5)
    assert len(names) == 2 and victim not in names, rows
    assert names - before, "a new pod replaced the deleted one"
    print(f"pod recovery: {time.monotonic() - started:.1f}s")


def test_service_spreads_requests_and_coredns_resolves_it(namespace, hello_image):
    deploy_hello(namespace, hello_image, replicas=2)
    lessons.client_pod(namespace, hello_image)
    svc = kube.core().read_namespaced_service("hello", namespace)
    script = (
        "import json, socket, time, urllib.request\n"
        "for attempt in range(30):  # a new pod's first lookups can race DNS start-up\n"
        "    try:\n"
        f"        ip = socket.gethostbyname('hello.{namespace}.svc.cluster.local'); break\n"
        "    except OSError:\n"
        "        time.sleep(1)\n"
        "pods = [json.load(urllib.request.urlopen('http://hello/api', timeout=5))['pod'] for _ in range(40)]\n"
        "print(json.dumps({'ip': ip, 'pods': pods}))\n"
    )
    out = json.loads(kube.exec_("client", ["/bin/python", "-c", script], namespace).strip().splitlines()[-1])
    assert out["ip"] == svc.spec.cluster_ip
    counts = collections.Counter(out["pods"])
    running = {r["name"] for r in kube.pod_table(namespace, "app=hello")}
    assert set(counts) == running and len(counts) == 2, counts
    assert min(counts.values()) >= 5, counts


def test_port_forward_reaches_the_service(namespace, hello_image):
    import requests

    from helpers.ports import port_free

    deploy_hello(namespace, hello_image, replicas=1)
    port = next(p for p in range(18080, 18180) if port_free(p))
    proc = kube.port_forward("svc/hello", port, 80, namespace)
    try:
        # The first request through a port-forward opens its stream to the pod's node, which
        # took more than 5 s on a loaded machine: wait for the answer, not for a quick one.
        resp = requests.get(f"http://127.0.0.1:{port}/api", timeout=(5, 60))
        assert resp.status_code == 200 and resp.json()["version"] == "v1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
