"""The pod network and storage the lessons rely on, on the real cluster (the same
components online and offline: kube-router and local-path):

- NetworkPolicy: a default-deny policy in a lab namespace blocks a client pod;
  an allow rule lets that client through, and only that one.
- Masquerade: a pod reaches an address outside the cluster, a container on kind's
  Docker network on this machine (never anything beyond it), and that server
  sees the node's address, not the pod's.
- local-path: a PVC of the default StorageClass binds, a pod writes to it, and a
  new pod reads the data back after the first one is gone.
"""

from __future__ import annotations

import time
import uuid

import pytest

from helpers import config, kube
from helpers.docker_client import client

pytestmark = pytest.mark.cluster

# Asks URL once with a short timeout; prints the body or "BLOCKED <error>".
PROBE = ("import sys, urllib.request as u\n"
         "try:\n"
         "    print(u.urlopen(sys.argv[1], timeout=3).read().decode())\n"
         "except OSError as e:\n"
         "    print('BLOCKED', e)\n")


def _pod(name: str, image: str, labels: dict, command: list[str] | None = None, **spec) -> dict:
    container = {"name": "main", "image": image}
    if command:
        container["command"] = command
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
            "spec": {"containers": [container], "terminationGracePeriodSeconds": 1, **spec}}


def _sleeper(name: str, image: str, labels: dict) -> dict:
    return _pod(name, image, labels, ["/bin/python", "-c", "import time; time.sleep(3600)"])


def _ask(pod: str, namespace: str, url: str) -> str:
    return kube.exec_(pod, ["/bin/python", "-c", PROBE, url], namespace).strip()


def _until(pod: str, namespace: str, url: str, blocked: bool, timeout: float = 45) -> str:
    """Ask until the answer is (not) blocked; the policy agent needs a moment to apply a change."""
    deadline = time.monotonic() + timeout
    while True:
        answer = _ask(pod, namespace, url)
        if answer.startswith("BLOCKED") == blocked or time.monotonic() > deadline:
            return answer
        time.sleep(2)


def _running(namespace: str, *names: str) -> dict[str, str]:
    for name in names:
        kube.wait(f"pod/{name}", "condition=Ready", namespace=namespace, timeout=120)
    return {n: kube.core().read_namespaced_pod(n, namespace).status.pod_ip for n in names}


def test_network_policy_denies_by_default_and_allows_a_labelled_client(namespace, hello_image):
    kube.apply([_pod("web", hello_image, {"app": "web"}),
                _sleeper("client", hello_image, {"role": "client"}),
                _sleeper("other", hello_image, {"role": "other"})], namespace)
    ips = _running(namespace, "web", "client", "other")
    url = f"http://{ips['web']}:8080/"
    assert _ask("client", namespace, url).startswith("Hello from kubelab!")  # no policy yet: open

    kube.apply([{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": {"name": "default-deny"},
                 "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}], namespace)
    assert _until("client", namespace, url, blocked=True).startswith("BLOCKED")
    assert _ask("other", namespace, url).startswith("BLOCKED")

    kube.apply([{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": {"name": "web-from-clients"},
                 "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"],
                          "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "client"}}}],
                                       "ports": [{"port": 8080, "protocol": "TCP"}]}]}}], namespace)
    assert _until("client", namespace, url, blocked=False).startswith("Hello from kubelab!")
    assert _ask("other", namespace, url).startswith("BLOCKED")  # the allow rule names only clients


def test_pod_traffic_leaving_the_cluster_is_masqueraded_to_the_node(namespace, hello_image, mode):
    # The target: a container on kind's Docker network (inside this machine, outside
    # the cluster) that answers with the address it sees the request come from.
    server = ("import http.server as h\n"
              "class H(h.BaseHTTPRequestHandler):\n"
              "    def do_GET(self):\n"
              "        body = self.client_address[0].encode()\n"
              "        self.send_response(200); self.send_header('Content-Length', str(len(body)))\n"
              "        self.end_headers(); self.wfile.write(body)\n"
              "h.HTTPServer(('0.0.0.0', 8000), H).serve_forever()\n")
    name = f"kubelab-echo-{uuid.uuid4().hex[:6]}"
    echo = client().containers.run(mode.image("python:3.11-slim-bookworm"), ["python3", "-c", server], name=name,
                                   network="kind", detach=True, labels=config.labels("tests"))
    try:
        echo.reload()
        target = echo.attrs["NetworkSettings"]["Networks"]["kind"]["IPAddress"]
        kube.apply([_sleeper("client", hello_image, {"role": "client"})], namespace)
        pod_ip = _running(namespace, "client")["client"]
        node_ip = kube.core().read_namespaced_pod("client", namespace).status.host_ip
        seen = _until("client", namespace, f"http://{target}:8000/", blocked=False, timeout=30)
        assert seen == node_ip, (seen, node_ip, pod_ip)
        assert seen != pod_ip
    finally:
        echo.remove(force=True)


def test_a_claim_binds_and_its_data_outlives_the_pod(namespace, hello_image):
    classes = [sc for sc in kube.dynamic().resources.get(api_version="storage.k8s.io/v1", kind="StorageClass")
               .get().items if (sc.metadata.annotations or {}).get("storageclass.kubernetes.io/is-default-class") == "true"]
    assert [(sc.metadata.name, sc.provisioner) for sc in classes] == [("standard", "rancher.io/local-path")]
    kube.apply([{"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
                 "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "64Mi"}}}}],
               namespace)
    token = uuid.uuid4().hex
    volume = {"volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
              "restartPolicy": "Never"}

    def run_once(name: str, code: str) -> str:
        pod = _pod(name, hello_image, {"role": name}, ["/bin/python", "-c", code], **volume)
        pod["spec"]["containers"][0]["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
        kube.apply([pod], namespace)
        deadline, phase = time.monotonic() + 150, ""
        while time.monotonic() < deadline:
            phase = kube.core().read_namespaced_pod(name, namespace).status.phase
            if phase in ("Succeeded", "Failed"):
                break
            time.sleep(2)
        out = kube.core().read_namespaced_pod_log(name, namespace)
        assert phase == "Succeeded", (phase, out, kube.diagnose("pod", name, namespace))
        return out

    run_once("writer", f"open('/data/token', 'w').write('{token}')")
    claim = kube.core().read_namespaced_persistent_volume_claim("data", namespace)
    assert claim.status.phase == "Bound" and claim.spec.storage_class_name == "standard"
    kube.core().delete_namespaced_pod("writer", namespace)
    kube.wait("pod/writer", "delete", namespace=namespace, timeout=60)
    assert run_once("reader", "print(open('/data/token').read())").strip() == token
