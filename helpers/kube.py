"""Kubernetes helpers named after kubectl verbs: apply, get, delete, wait, logs,
scale, rollout status/undo, exec, port_forward.

Any kubeconfig context works: pass ``context=`` or set ``KUBELAB_CONTEXT``; the
default is the lab's kind cluster (``kind-kubelab``).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any, Callable, Iterable

import urllib3
import yaml
from kubernetes import client as k8s
from kubernetes import config as kconfig
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError
from kubernetes.stream import stream

from . import config
from .errors import ClusterError, DeployFailed, ManifestInvalid

FIELD_MANAGER = "kubelab"
_clients: dict[tuple[str, bool], k8s.ApiClient] = {}


def retry_policy() -> urllib3.Retry:
    """How a request rides out an API server that restarts (after Docker restarts, the
    node's API server can drop connections, or close TLS handshakes, for over 10 s):
    a refused connection or a failed handshake is tried again for every verb (nothing
    was sent), a read error or a 5xx only for GET; waiting 0, 1, 2, 4, 4, 4 s (15 s in
    all), then :class:`ApiClient` turns the error into a :class:`ClusterError`.

    >>> r = retry_policy()
    >>> r.total, r.connect, sorted(r.allowed_methods), r.is_retry("GET", 503), r.is_retry("PATCH", 503)
    (6, 6, ['GET', 'HEAD'], True, False)
    """
    return urllib3.Retry(total=6, connect=6, read=2, status=2, backoff_factor=0.5, backoff_max=4,
                         status_forcelist=(500, 502, 503, 504), allowed_methods=frozenset({"GET", "HEAD"}),
                         raise_on_status=False)


class ApiClient(k8s.ApiClient):
    """The official client; a connection that fails after the retries is a lab error
    that says what to do, not a urllib3 traceback. The urllib3 error stays its cause."""

    def call_api(self, *args, **kwargs):
        try:
            return super().call_api(*args, **kwargs)
        except urllib3.exceptions.HTTPError as err:
            reason = getattr(err, "reason", None) or err
            raise ClusterError(f"the Kubernetes API server at {self.configuration.host} does not answer",
                               state=f"{type(reason).__name__}: {reason}"[:400],
                               hint="start Docker, then `labctl up` (it waits until the API server answers "
                                    "steadily) and run this again; for another cluster pass --context") from err


def context_name(context: str | None = None) -> str:
    return context or os.environ.get("KUBELAB_CONTEXT") or config.KIND_CONTEXT


def api(context: str | None = None, *, retry: bool = True) -> k8s.ApiClient:
    """An API client for the kubeconfig context (cached). ``retry=False`` leaves out
    :func:`retry_policy`, for a probe that must see every dropped connection (the
    steady check of :func:`helpers.cluster._wait_api`)."""
    name = context_name(context)
    if (name, retry) not in _clients:
        try:
            settings = k8s.Configuration()
            settings.retries = retry_policy() if retry else None  # None: urllib3's default
            kconfig.load_kube_config(context=name, client_configuration=settings)
            _clients[name, retry] = ApiClient(configuration=settings)
        except (kconfig.ConfigException, FileNotFoundError, TypeError) as err:
            raise ClusterError(f"no kubeconfig context {name!r}", state=str(err)[:300],
                               hint="create the lab cluster: `labctl up` (or pass --context for another cluster)") from None
    return _clients[name, retry]


def forget_clients() -> None:
    """Drop cached clients (after a cluster is recreated its certificates change)."""
    _clients.clear()


def dynamic(context: str | None = None) -> DynamicClient:
    return DynamicClient(api(context))


def core(context: str | None = None, *, retry: bool = True) -> k8s.CoreV1Api:
    return k8s.CoreV1Api(api(context, retry=retry))


def apps(context: str | None = None) -> k8s.AppsV1Api:
    return k8s.AppsV1Api(api(context))


def autoscaling(context: str | None = None) -> k8s.AutoscalingV2Api:
    return k8s.AutoscalingV2Api(api(context))


def label_selector(labels: dict) -> str:
    """A label selector string from a ``matchLabels`` dict.

    >>> label_selector({"app": "web", "tier": "front"})
    'app=web,tier=front'
    """
    return ",".join(f"{k}={v}" for k, v in labels.items())


# --- loading -------------------------------------------------------------------
def load_docs(source: str | Path | Iterable[dict]) -> list[dict]:
    """Objects from a YAML file, a folder of them, a YAML string, or a list of dicts."""
    if isinstance(source, (list, tuple)):
        return [d for d in source if d]
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and Path(source).exists()):
        path = Path(source)
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")) if path.is_dir() else [path]
        docs: list[dict] = []
        for f in files:
            docs.extend(_parse(f.read_text(), str(f)))
        return docs
    return _parse(str(source), "<string>")


def _parse(text: str, origin: str) -> list[dict]:
    try:
        docs = [d for d in yaml.safe_load_all(text) if d]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{origin}:{mark.line + 1}:{mark.column + 1}" if mark else origin
        raise ManifestInvalid(f"{where} is not valid YAML", [str(getattr(err, 'problem', err))],
                              hint="check indentation (spaces, not tabs) and the `key: value` form on that line") from None
    for d in docs:
        if not isinstance(d, dict) or "kind" not in d or "apiVersion" not in d:
            raise ManifestInvalid(f"{origin} holds a document that is not a Kubernetes object",
                                  [f"missing apiVersion/kind in: {str(d)[:80]}"],
                                  hint="every document needs apiVersion, kind and metadata.name")
    return docs


# --- verbs ---------------------------------------------------------------------
def _resource(dyn: DynamicClient, doc: dict):
    try:
        return dyn.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
    except ResourceNotFoundError:
        raise ManifestInvalid(f"the cluster knows no {doc['kind']} in {doc['apiVersion']}",
                              hint="check apiVersion and kind spelling (e.g. apps/v1 Deployment)") from None


def apply(source: str | Path | Iterable[dict], namespace: str | None = None, *, context: str | None = None,
          lab: str | None = None) -> list[str]:
    """Server-side apply of every object; returns ``kind/name`` of each.

    Objects get the suite's labels so ``labctl reset`` can find them.

    Twin: ``kubectl apply --server-side -f FILE [-n NAMESPACE]``
    """
    dyn = dynamic(context)
    applied = []
    for doc in load_docs(source):
        doc = dict(doc)
        meta = doc.setdefault("metadata", {})
        meta.setdefault("labels", {}).update(config.labels(lab))
        res = _resource(dyn, doc)
        ns = None
        if res.namespaced:
            ns = meta.get("namespace") or namespace or "default"
            meta["namespace"] = ns
        try:
            dyn.server_side_apply(res, body=doc, name=meta["name"], namespace=ns,
                                  field_manager=FIELD_MANAGER, force_conflicts=True)
        except ApiException as err:
            raise ManifestInvalid(f"the API server refused {doc['kind']}/{meta.get('name')}",
                                  [_api_message(err)], hint="fix the field the message names, then apply again") from None
        applied.append(f"{doc['kind'].lower()}/{meta['name']}")
    return applied


def _api_message(err: ApiException) -> str:
    try:
        return yaml.safe_load(err.body).get("message", str(err))
    except Exception:  # noqa: BLE001 - a body that is not JSON
        return str(err)[:300]


def get(kind: str, name: str | None = None, namespace: str | None = "default", *, api_version: str = "v1",
        context: str | None = None, selector: str | None = None) -> Any:
    """One object (as a dict) or, without ``name``, the list of items.

    Twin: ``kubectl get KIND [NAME] -n NAMESPACE -o yaml``
    """
    api_version = _DEFAULT_VERSIONS.get(kind.lower(), api_version)
    res = dynamic(context).resources.get(api_version=api_version, kind=_KINDS.get(kind.lower(), kind))
    ns = namespace if res.namespaced else None
    try:
        if name:
            return res.get(name=name, namespace=ns).to_dict()
        return [i.to_dict() for i in res.get(namespace=ns, label_selector=selector).items]
    except NotFoundError:
        return None


_KINDS = {"pod": "Pod", "pods": "Pod", "deployment": "Deployment", "deploy": "Deployment", "service": "Service",
          "svc": "Service", "ingress": "Ingress", "replicaset": "ReplicaSet", "rs": "ReplicaSet", "node": "Node",
          "nodes": "Node", "namespace": "Namespace", "ns": "Namespace", "configmap": "ConfigMap",
          "hpa": "HorizontalPodAutoscaler", "horizontalpodautoscaler": "HorizontalPodAutoscaler",
          "endpointslice": "EndpointSlice", "event": "Event", "events": "Event", "apiservice": "APIService"}
_DEFAULT_VERSIONS = {"deployment": "apps/v1", "deploy": "apps/v1", "replicaset": "apps/v1", "rs": "apps/v1",
                     "ingress": "networking.k8s.io/v1", "hpa": "autoscaling/v2",
                     "horizontalpodautoscaler": "autoscaling/v2", "endpointslice": "discovery.k8s.io/v1",
                     "apiservice": "apiregistration.k8s.io/v1"}


def hpa_cpu(hpa: dict) -> int | None:
    """The CPU use a HorizontalPodAutoscaler last measured, in % of its pods' CPU request;
    None before its first measurement. Twin: the TARGETS column of ``kubectl get hpa``

    >>> hpa_cpu({"status": {"currentMetrics": [{"type": "Resource",
    ...          "resource": {"name": "cpu", "current": {"averageUtilization": 42}}}]}})
    42
    >>> hpa_cpu({"status": {"conditions": []}}) is None
    True
    """
    for m in (hpa.get("status") or {}).get("currentMetrics") or []:
        resource = m.get("resource") or {}
        if m.get("type") == "Resource" and resource.get("name") == "cpu":
            return (resource.get("current") or {}).get("averageUtilization")
    return None


def delete(source: str | Path | Iterable[dict], namespace: str | None = None, *, context: str | None = None,
           wait: bool = False, timeout: float = 120) -> list[str]:
    """Delete the objects a manifest describes (missing ones are fine).

    Twin: ``kubectl delete -f FILE --ignore-not-found``
    """
    dyn = dynamic(context)
    deleted = []
    docs = load_docs(source)
    for doc in reversed(docs):
        res = _resource(dyn, doc)
        meta = doc.get("metadata", {})
        ns = (meta.get("namespace") or namespace or "default") if res.namespaced else None
        try:
            res.delete(name=meta["name"], namespace=ns, body={"propagationPolicy": "Foreground"})
            deleted.append(f"{doc['kind'].lower()}/{meta['name']}")
        except NotFoundError:
            continue
    if wait:
        deadline = time.monotonic() + timeout
        for doc in docs:
            res = _resource(dyn, doc)
            meta = doc.get("metadata", {})
            ns = (meta.get("namespace") or namespace or "default") if res.namespaced else None
            while time.monotonic() < deadline:
                try:
                    res.get(name=meta["name"], namespace=ns)
                    time.sleep(0.5)
                except NotFoundError:
                    break
    return deleted


def ensure_namespace(name: str, *, context: str | None = None, lab: str | None = None) -> None:
    """Create the namespace if missing. Twin: ``kubectl create namespace NAME``"""
    apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}], context=context, lab=lab)


def delete_namespace(name: str, *, context: str | None = None, wait: bool = True, timeout: float = 180) -> None:
    """Delete a namespace and everything in it. Twin: ``kubectl delete namespace NAME --wait``"""
    delete([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}], context=context,
           wait=wait, timeout=timeout)


def wait(obj: str, condition: str = "condition=Available", *, namespace: str = "default", timeout: float = 180,
         context: str | None = None) -> dict:
    """Wait until ``obj`` (``kind/name``) meets ``condition``; returns the object.

    Conditions: ``condition=Ready|Available|...`` (status.conditions), ``delete``.

    Twin: ``kubectl wait --for=condition=Available deployment/NAME --timeout=180s``
    """
    kind, _, name = obj.partition("/")
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = get(kind, name, namespace, context=context)
        if condition == "delete":
            if last is None:
                return {}
        elif last is not None:
            want = condition.split("=", 1)[1]
            for cond in (last.get("status") or {}).get("conditions") or []:
                if cond.get("type") == want and cond.get("status") == "True":
                    return last
        time.sleep(1)
    state = diagnose(kind, name, namespace, context=context) if last else f"{obj} does not exist"
    raise DeployFailed(f"{obj} did not reach {condition} within {timeout:.0f}s", state=state,
                       hint=hint_for(state))


def pods(namespace: str = "default", selector: str | None = None, *, context: str | None = None) -> list[k8s.V1Pod]:
    """Pods, optionally by label selector. Twin: ``kubectl get pods -l SELECTOR``"""
    return core(context).list_namespaced_pod(namespace, label_selector=selector).items


def pod_table(namespace: str = "default", selector: str | None = None, *, context: str | None = None) -> list[dict]:
    """Rows like ``kubectl get pods -o wide``: name, ready, status, restarts, node, IP."""
    rows = []
    for p in pods(namespace, selector, context=context):
        statuses = p.status.container_statuses or []
        ready = sum(1 for s in statuses if s.ready)
        reason = p.status.phase
        for s in statuses:
            if s.state and s.state.waiting and s.state.waiting.reason:
                reason = s.state.waiting.reason
        if p.metadata.deletion_timestamp:
            reason = "Terminating"
        last_exit = ""
        for s in statuses:
            term = s.last_state.terminated if s.last_state else None
            if term:
                last_exit = f"{term.reason} (exit {term.exit_code})"
        rows.append({"name": p.metadata.name, "ready": f"{ready}/{len(p.spec.containers)}", "status": reason,
                     "restarts": sum(s.restart_count for s in statuses), "node": p.spec.node_name,
                     "ip": p.status.pod_ip, "last_exit": last_exit})
    return rows


def logs(pod: str, namespace: str = "default", *, tail: int = 50, container: str | None = None,
         context: str | None = None) -> str:
    """A pod's last log lines; ``deployment/NAME`` takes its first pod.

    Twin: ``kubectl logs POD --tail=50``
    """
    if pod.startswith(("deployment/", "deploy/")):
        dep = apps(context).read_namespaced_deployment(pod.split("/", 1)[1], namespace)
        sel = label_selector(dep.spec.selector.match_labels)
        found = pods(namespace, sel, context=context)
        if not found:
            return ""
        pod = found[0].metadata.name
    try:
        return core(context).read_namespaced_pod_log(pod, namespace, tail_lines=tail, container=container)
    except ApiException as err:
        return f"(no logs: {_api_message(err)})"


def scale(deployment: str, replicas: int, namespace: str = "default", *, context: str | None = None) -> None:
    """Set a Deployment's replica count. Twin: ``kubectl scale deployment/NAME --replicas=N``"""
    apps(context).patch_namespaced_deployment_scale(deployment, namespace, {"spec": {"replicas": replicas}})


def rollout_status(deployment: str, namespace: str = "default", *, timeout: float = 180,
                   context: str | None = None, progress: Callable[[dict], None] | None = None) -> dict:
    """Wait for a Deployment's rollout to finish, as ``kubectl rollout status`` judges it.

    ``progress`` is called about once a second with ``want``, ``updated``,
    ``available`` and ``pods`` (old ones included), for a live view.

    Twin: ``kubectl rollout status deployment/NAME --timeout=180s``
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dep = apps(context).read_namespaced_deployment(deployment, namespace)
        st, want = dep.status, dep.spec.replicas
        done = ((st.observed_generation or 0) >= dep.metadata.generation and (st.updated_replicas or 0) == want
                and (st.replicas or 0) == want and (st.available_replicas or 0) == want)
        # kubectl stops here; we also wait for the old pods to be gone, so that
        # "rolled out" means every answer now comes from the new version.
        sel = label_selector(dep.spec.selector.match_labels)
        now = len(pods(namespace, sel, context=context))
        if progress:
            progress({"want": want, "updated": st.updated_replicas or 0, "available": st.available_replicas or 0,
                      "pods": now})
        if done and now <= want:
            return {"replicas": want, "revision": dep.metadata.annotations.get("deployment.kubernetes.io/revision")}
        for cond in st.conditions or []:
            if cond.type == "Progressing" and cond.reason == "ProgressDeadlineExceeded":
                deadline = 0
        time.sleep(1)
    state = diagnose("deployment", deployment, namespace, context=context)
    raise DeployFailed(f"deployment/{deployment} did not finish rolling out within {timeout:.0f}s",
                       state=state, hint=hint_for(state))


def rollout_undo(deployment: str, namespace: str = "default", *, context: str | None = None) -> str:
    """Go back to the previous revision, as ``kubectl rollout undo`` does; returns its image(s).

    Twin: ``kubectl rollout undo deployment/NAME``
    """
    ap = apps(context)
    dep = ap.read_namespaced_deployment(deployment, namespace)
    sel = label_selector(dep.spec.selector.match_labels)
    current = int(dep.metadata.annotations.get("deployment.kubernetes.io/revision", "0"))
    sets = [rs for rs in ap.list_namespaced_replica_set(namespace, label_selector=sel).items
            if any(o.uid == dep.metadata.uid for o in rs.metadata.owner_references or [])]
    older = sorted((int(rs.metadata.annotations.get("deployment.kubernetes.io/revision", "0")), rs) for rs in sets
                   if int(rs.metadata.annotations.get("deployment.kubernetes.io/revision", "0")) < current)
    if not older:
        raise DeployFailed(f"deployment/{deployment} has no earlier revision to go back to",
                           hint="a first deploy has nothing to undo: delete it instead")
    template = api(context).sanitize_for_serialization(older[-1][1].spec.template)
    template["metadata"]["labels"].pop("pod-template-hash", None)
    ap.patch_namespaced_deployment(deployment, namespace, {"spec": {"template": template}})
    return ",".join(c["image"] for c in template["spec"]["containers"])


def exec_(pod: str, command: list[str], namespace: str = "default", *, container: str | None = None,
          context: str | None = None) -> str:
    """Run a command in a pod's container; returns its output.

    Twin: ``kubectl exec POD -- COMMAND``
    """
    kwargs = {"container": container} if container else {}
    return stream(core(context).connect_get_namespaced_pod_exec, pod, namespace, command=command,
                  stderr=True, stdin=False, stdout=True, tty=False, **kwargs)


def port_forward(target: str, local_port: int, remote_port: int, namespace: str = "default", *,
                 context: str | None = None) -> subprocess.Popen:
    """Forward ``localhost:local_port`` to a pod or service port; stop it with ``.terminate()``.

    Twin: ``kubectl port-forward svc/NAME 8080:80``
    """
    from .shell import tool  # noqa: PLC0415

    proc = subprocess.Popen([tool("kubectl"), "--context", context_name(context), "-n", namespace,
                             "port-forward", target, f"{local_port}:{remote_port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if "Forwarding" not in line:
        proc.terminate()
        raise ClusterError(f"port-forward to {target} failed", state=proc.stderr.read()[-400:],
                           hint=f"is port {local_port} free? does {target} exist in {namespace}?")
    return proc


# --- diagnosis -------------------------------------------------------------------
def events(namespace: str, name: str | None = None, *, context: str | None = None, limit: int = 8) -> list[str]:
    """Recent events, oldest first, optionally for objects whose name starts with ``name``."""
    items = core(context).list_namespaced_event(namespace).items
    if name:
        items = [e for e in items if e.involved_object.name.startswith(name)]
    items.sort(key=lambda e: e.last_timestamp or e.event_time or e.metadata.creation_timestamp)
    return [f"{e.type} {e.reason} {e.involved_object.kind}/{e.involved_object.name}: {e.message}"
            for e in items[-limit:]]


def diagnose(kind: str, name: str, namespace: str = "default", *, context: str | None = None) -> str:
    """The state a learner needs to see when something does not become ready:
    pod phases and waiting reasons, recent events, last log lines."""
    lines: list[str] = []
    try:
        selector = None
        if kind.lower() in ("deployment", "deploy"):
            dep = apps(context).read_namespaced_deployment(name, namespace)
            selector = label_selector(dep.spec.selector.match_labels)
            st = dep.status
            lines.append(f"deployment/{name}: {st.ready_replicas or 0}/{dep.spec.replicas} ready, "
                         f"{st.updated_replicas or 0} updated")
        for row in pod_table(namespace, selector, context=context) if selector else []:
            last = f" last exit: {row['last_exit']}" if row["last_exit"] else ""
            lines.append(f"pod/{row['name']}: {row['status']} ready={row['ready']} restarts={row['restarts']}{last}")
            if row["status"] in ("CrashLoopBackOff", "Error") or row["restarts"]:
                tail = logs(row["name"], namespace, tail=5, context=context).strip()
                if tail:
                    lines.extend("    log: " + t for t in tail.splitlines()[-5:])
        lines.extend("event: " + e for e in events(namespace, name, context=context))
    except ApiException as err:
        lines.append(f"(could not read state: {_api_message(err)})")
    return "\n".join(lines)


def hint_for(state: str) -> str:
    """The fix for the failure a diagnosis shows."""
    if "ImagePullBackOff" in state or "ErrImagePull" in state:
        if ":latest" in state:
            return "the image uses `latest`: push a versioned tag and put that exact path in the manifest"
        return ("the node cannot pull the image: was it pushed to localhost:5001, and does the manifest "
                "name exactly the pushed path and tag (the 🔥 rule)?")
    if "CrashLoopBackOff" in state or "Error" in state or "last exit" in state:
        return "the container starts and exits: read its log lines above, fix the app or its command"
    if "Readiness probe failed" in state or "Unhealthy" in state:
        return "the app runs but fails its readiness probe: check the probe's path and port against the app"
    if "Insufficient" in state or "FailedScheduling" in state:
        return "no node has room for the pod's resource requests: lower them or add a node"
    return "read the events above; `kubectl describe` the object for more"
