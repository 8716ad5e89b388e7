"""Kubernetes helpers named after kubectl verbs: apply, get, delete, wait, logs,
scale, rollout status/undo, exec, port_forward.

Any kubeconfig context works: pass ``context=`` or set ``KUBELAB_CONTEXT``; the
default is the lab's kind cluster (``kind-kubelab``).
"""

from __future__ import annotations

import copy
import os
import re
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

from . import config, waiting
from .errors import ClusterError, DeployFailed, ManifestInvalid
from .i18n import N_, _

FIELD_MANAGER = "kubelab"
_clients: dict[tuple[str, bool], k8s.ApiClient] = {}
_dynamic: dict[str, DynamicClient] = {}


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
            raise ClusterError(_("the Kubernetes API server at {host} does not answer").format(host=self.configuration.host),
                               state=f"{type(reason).__name__}: {reason}"[:400],
                               hint=_("start Docker, then `labctl up` (it waits until the API server answers "
                                      "steadily) and run this again; for another cluster pass --context")) from err


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
            raise ClusterError(_("no kubeconfig context {name}").format(name=repr(name)), state=str(err)[:300],
                               hint=_("create the lab cluster: `labctl up` (or pass --context for another cluster)")) from None
    return _clients[name, retry]


def forget_clients() -> None:
    """Drop cached clients (after a cluster is recreated its certificates change)."""
    _clients.clear()
    _dynamic.clear()


def dynamic(context: str | None = None) -> DynamicClient:
    """The dynamic client for the context (cached: building one reads the API discovery)."""
    name = context_name(context)
    if name not in _dynamic:
        _dynamic[name] = DynamicClient(api(context))
    return _dynamic[name]


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
            docs.extend(_parse(_read_text(f), str(f)))
        return docs
    return _parse(str(source), "<string>")


# Helm/Go template actions ({{ .Values.x }}, {{- if }}, {{ include }}); a `{{ $labels }}` in a
# ConfigMap's text (an alert template) is data, not a template of this file.
_TEMPLATE = re.compile(r"\{\{-?\s*(\.|(if|range|with|include|template|end|else|define|toYaml|required|default)\b)")


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        line = path.read_bytes()[:err.start].count(b"\n") + 1
        raise ManifestInvalid(_("{path}:{line} is not UTF-8 text").format(path=path, line=line),
                              [_("byte {byte} at offset {offset}").format(byte=repr(err.object[err.start:err.start + 1]),
                                                                         offset=err.start)],
                              hint=_("save the file as UTF-8 (most editors: File > Save with encoding); "
                                     "Kubernetes reads YAML as UTF-8 only")) from None


def _parse(text: str, origin: str) -> list[dict]:
    template = next((n for n, line in enumerate(text.splitlines(), 1)
                     if _TEMPLATE.search(line) and not line.lstrip().startswith("#")), None)
    if template is not None:
        raise ManifestInvalid(_("{origin}:{line} is a Helm/Go template, not a Kubernetes object")
                              .format(origin=origin, line=template),
                              [text.splitlines()[template - 1].strip()[:120]],
                              hint=_("the pipeline applies plain YAML: render the chart first "
                                     "(`helm template . > k8s/app.yaml`) or write the values in"))
    try:
        docs = [d for d in yaml.safe_load_all(text) if d]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{origin}:{mark.line + 1}:{mark.column + 1}" if mark else origin
        raise ManifestInvalid(_("{where} is not valid YAML").format(where=where), [str(getattr(err, 'problem', err))],
                              hint=_("check indentation (spaces, not tabs) and the `key: value` form on that line")) from None
    for d in docs:
        if not isinstance(d, dict) or "kind" not in d or "apiVersion" not in d:
            raise ManifestInvalid(_("{origin} holds a document that is not a Kubernetes object").format(origin=origin),
                                  [_("missing apiVersion/kind in: {document}").format(document=str(d)[:80])],
                                  hint=_("every document needs apiVersion, kind and metadata.name"))
    # kubectl unwraps `kind: List` (and `kind: DeploymentList`, ...): so do we, item by item.
    flat: list[dict] = []
    for d in docs:
        if d["kind"].endswith("List") and isinstance(d.get("items"), list):
            flat.extend(_parse(yaml.safe_dump_all(d["items"]), f"{origin} ({d['kind']})") if d["items"] else [])
        else:
            flat.append(d)
    return flat


# --- verbs ---------------------------------------------------------------------
def _resource(dyn: DynamicClient, doc: dict):
    try:
        return dyn.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
    except ResourceNotFoundError:
        raise ManifestInvalid(_("the cluster knows no {kind} in {api_version}").format(kind=doc["kind"],
                                                                                     api_version=doc["apiVersion"]),
                              hint=_("check apiVersion and kind spelling (e.g. apps/v1 Deployment)")) from None


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
            raise ManifestInvalid(_("the API server refused {kind}/{name}").format(kind=doc["kind"], name=meta.get("name")),
                                  [_api_message(err)], hint=_("fix the field the message names, then apply again")) from None
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


def live(doc: dict, namespace: str | None = None, *, context: str | None = None) -> dict | None:
    """The live version of the object ``doc`` describes (same kind, name, namespace), or None.

    Twin: ``kubectl get -f FILE -o yaml``
    """
    dyn = dynamic(context)
    res = _resource(dyn, doc)
    meta = doc.get("metadata") or {}
    ns = (meta.get("namespace") or namespace or "default") if res.namespaced else None
    try:
        return res.get(name=meta["name"], namespace=ns).to_dict()
    except NotFoundError:
        return None


# What the API server owns or the controllers write: never put back from a saved copy.
_SERVER_FIELDS = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink")
_CONTROLLER_ANNOTATIONS = ("deployment.kubernetes.io/revision", "deployment.kubernetes.io/revision-history",
                           "deployment.kubernetes.io/desired-replicas", "deployment.kubernetes.io/max-replicas")


def _content(obj: dict) -> dict:
    """What a learner's file decides in an object: labels, annotations and every field but
    metadata and status (spec, data, rules ...), minus what controllers write."""
    meta = obj.get("metadata") or {}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in _CONTROLLER_ANNOTATIONS}
    body = {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}
    return {"labels": meta.get("labels") or {}, "annotations": annotations, **body}


def put_back(saved: dict, *, context: str | None = None) -> bool:
    """Replace an object with a saved live version of it (from :func:`live`): labels,
    annotations and every field (spec, data, ...) as they were, whole, not merged.
    Returns False when it already is so (nothing written).

    Twin: ``kubectl replace -f SAVED.yaml`` (of ``kubectl get -o yaml`` taken before)
    """
    dyn = dynamic(context)
    res = _resource(dyn, saved)
    meta = saved["metadata"]
    for _attempt in range(3):
        current = res.get(name=meta["name"], namespace=meta.get("namespace")).to_dict()
        if _content(current) == _content(saved):
            return False
        body = copy.deepcopy({k: v for k, v in saved.items() if k != "status"})
        body_meta = body["metadata"]
        for key in _SERVER_FIELDS:
            body_meta.pop(key, None)
        body_meta["resourceVersion"] = current["metadata"]["resourceVersion"]
        keep = {k: v for k, v in (current["metadata"].get("annotations") or {}).items() if k in _CONTROLLER_ANNOTATIONS}
        body_meta["annotations"] = {**{k: v for k, v in (body_meta.get("annotations") or {}).items()
                                       if k not in _CONTROLLER_ANNOTATIONS}, **keep}
        try:
            res.replace(body=body, namespace=meta.get("namespace"), field_manager=FIELD_MANAGER)
            return True
        except ApiException as err:
            if err.status != 409:  # 409: changed since read (a controller's status write): read again
                raise
    raise ClusterError(_("{kind}/{name} kept changing while being put back").format(kind=saved["kind"], name=meta["name"]),
                       hint=_("something else writes to it: `kubectl get events`"))


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
    """Delete the objects a manifest describes (missing ones are fine); with ``wait``,
    watch until each is gone.

    Twin: ``kubectl delete -f FILE --ignore-not-found [--wait]``
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
            waiting.watch(waiting.Source("gone", res, dyn, ns, name=meta["name"]),
                          lambda view: True if not view["gone"] else None,
                          timeout=max(deadline - time.monotonic(), 1),
                          what=_("deleting {kind}/{name}").format(kind=doc["kind"], name=meta["name"]),
                          seen=lambda view, ns=ns: _deleting_state(view["gone"], ns, context),
                          hint=_("an object held by a finalizer stays until its controller lets go: "
                                 "`kubectl get KIND NAME -o yaml` shows `finalizers`"))
    return deleted


def _deleting_state(objects: dict, namespace: str | None, context: str | None) -> str:
    lines = []
    for name, obj in objects.items():
        meta = obj.get("metadata") or {}
        lines.append(_("{kind}/{name}: deletion requested {requested}, finalizers {finalizers}, phase {phase}").format(
            kind=obj.get("kind", "?"), name=name, requested=meta.get("deletionTimestamp") or _("no"),
            finalizers=meta.get("finalizers") or [], phase=(obj.get("status") or {}).get("phase", "-")))
        if namespace:
            lines.extend(_("event: {event}").format(event=e) for e in events(namespace, name, context=context))
    return "\n".join(lines)


#: Pod Security admission for namespaces the lab deploys learners' files into: ``baseline``
#: is enforced (no privileged, hostPath, host network/PID/IPC, hostPort: nothing from a
#: cloned repository gets root on the host), ``restricted`` only warns.
POD_SECURITY = {"pod-security.kubernetes.io/enforce": "baseline",
                "pod-security.kubernetes.io/enforce-version": "latest",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/warn-version": "latest"}
_SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease", config.SYSTEM_NAMESPACE)


def ensure_namespace(name: str, *, context: str | None = None, lab: str | None = None,
                     labels: dict | None = None) -> bool:
    """Create the namespace if missing, with the Pod Security labels of :data:`POD_SECURITY`
    (system namespaces excepted) and ``labels``; an existing one gets the labels it lacks,
    and keeps the others. Returns True when this call created it.

    Twin: ``kubectl create namespace NAME && kubectl label namespace NAME pod-security.kubernetes.io/enforce=baseline ...``
    """
    wanted = {**({} if name in _SYSTEM_NAMESPACES else POD_SECURITY), **config.labels(lab), **(labels or {})}
    existing = get("namespace", name, None, context=context)
    if existing is None:
        try:
            # Its own field manager: a later apply of a Namespace file (by FIELD_MANAGER)
            # that does not repeat these labels must not take them away.
            dynamic(context).server_side_apply(
                _resource(dynamic(context), {"apiVersion": "v1", "kind": "Namespace"}),
                body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": wanted}},
                name=name, field_manager=f"{FIELD_MANAGER}-namespace", force_conflicts=True)
        except ApiException as err:
            raise ManifestInvalid(_("the API server refused namespace/{name}").format(name=name), [_api_message(err)],
                                  hint=_("namespace names are lower-case letters, digits and '-'")) from None
        return True
    have = existing["metadata"].get("labels") or {}
    missing = {k: v for k, v in wanted.items() if have.get(k) != v}
    if missing:
        core(context).patch_namespace(name, {"metadata": {"labels": missing}}, field_manager=f"{FIELD_MANAGER}-namespace")
    return False


def delete_namespace(name: str, *, context: str | None = None, wait: bool = True, timeout: float = 180) -> None:
    """Delete a namespace and everything in it. Twin: ``kubectl delete namespace NAME --wait``"""
    delete([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}], context=context,
           wait=wait, timeout=timeout)


def wait(obj: str, condition: str = "condition=Available", *, namespace: str = "default", timeout: float = 180,
         context: str | None = None) -> dict:
    """Watch ``obj`` (``kind/name``) until it meets ``condition``; returns the object.

    Conditions: ``condition=Ready|Available|...`` (status.conditions), ``delete``.

    Twin: ``kubectl wait --for=condition=Available deployment/NAME --timeout=180s``
    """
    kind, _slash, name = obj.partition("/")
    res = dynamic(context).resources.get(api_version=_DEFAULT_VERSIONS.get(kind.lower(), "v1"),
                                         kind=_KINDS.get(kind.lower(), kind))
    ns = namespace if res.namespaced else None
    want = condition.split("=", 1)[1] if condition != "delete" else None

    def met(view: dict) -> dict | None:
        found = view["obj"].get(name)
        if want is None:
            return {} if found is None else None
        if found is not None and any(c.get("type") == want and c.get("status") == "True"
                                     for c in (found.get("status") or {}).get("conditions") or []):
            return found
        return None

    def seen(view: dict) -> str:
        if not view["obj"]:
            return _("{object} does not exist").format(object=obj)
        return diagnose(kind, name, namespace, context=context) or waiting._summary(view)  # noqa: SLF001

    return waiting.watch(waiting.Source("obj", res, dynamic(context), ns, name=name), met, timeout=timeout,
                         what=_("{object} reaching {condition}").format(object=obj, condition=condition),
                         seen=seen, hint=hint_for, error=DeployFailed)


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
        return _("(no logs: {reason})").format(reason=_api_message(err))


def scale(deployment: str, replicas: int, namespace: str = "default", *, context: str | None = None) -> None:
    """Set a Deployment's replica count. Twin: ``kubectl scale deployment/NAME --replicas=N``"""
    apps(context).patch_namespaced_deployment_scale(deployment, namespace, {"spec": {"replicas": replicas}})


REVISION = "deployment.kubernetes.io/revision"
#: Pod states that waiting does not heal: the kubelet retries them forever, with backoff.
UNHEALABLE = ("CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "InvalidImageName",
              "CreateContainerConfigError")


def rollout_state(dep: dict) -> tuple[str, str]:
    """Where a Deployment's rollout stands, judged as ``kubectl rollout status`` judges it:
    from its status and conditions only (``observedGeneration``, ``updatedReplicas``,
    ``replicas``, ``availableReplicas``, ``ProgressDeadlineExceeded``), never by
    counting pods, so failed, evicted or stray pods matching the selector cannot
    hold it up. Returns ``("done"|"waiting"|"failed", message)``.

    >>> dep = {"metadata": {"name": "web", "generation": 2}, "spec": {"replicas": 2},
    ...        "status": {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 2, "availableReplicas": 2}}
    >>> rollout_state(dep)
    ('waiting', 'deployment/web: 1 old replica(s) are pending termination')
    >>> dep["status"]["replicas"] = 2
    >>> rollout_state(dep)
    ('done', 'deployment/web successfully rolled out')
    """
    meta, spec, st = dep.get("metadata") or {}, dep.get("spec") or {}, dep.get("status") or {}
    name = f"deployment/{meta.get('name')}"
    if (st.get("observedGeneration") or 0) < (meta.get("generation") or 0):
        return "waiting", _("{name}: waiting for the controller to see the new spec").format(name=name)
    for cond in st.get("conditions") or []:
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            return "failed", _("{name} exceeded its progress deadline: {message}").format(
                name=name, message=cond.get("message", ""))
        if cond.get("type") == "ReplicaFailure" and cond.get("status") == "True":
            return "failed", _("{name} cannot create pods: {message}").format(name=name, message=cond.get("message", ""))
    want = spec.get("replicas", 1)
    updated, replicas = st.get("updatedReplicas") or 0, st.get("replicas") or 0
    available = st.get("availableReplicas") or 0
    if updated < want:
        return "waiting", _("{name}: {updated} of {want} new replicas have been updated").format(
            name=name, updated=updated, want=want)
    if replicas > updated:
        return "waiting", _("{name}: {count} old replica(s) are pending termination").format(
            name=name, count=replicas - updated)
    if available < updated:
        return "waiting", _("{name}: {available} of {updated} updated replicas are available").format(
            name=name, available=available, updated=updated)
    return "done", _("{name} successfully rolled out").format(name=name)


def unhealable(pod: dict) -> str | None:
    """Why a pod will not become Ready however long one waits, or None.

    >>> unhealable({"metadata": {"name": "web-1"}, "status": {"containerStatuses": [
    ...     {"name": "web", "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s"}}}]}})
    'pod/web-1 container web: CrashLoopBackOff (back-off 10s)'
    >>> unhealable({"metadata": {"name": "web-2"}, "status": {"conditions": [
    ...     {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/1 nodes"}]}})
    'pod/web-2: Unschedulable (0/1 nodes)'
    >>> unhealable({"metadata": {"name": "web-3"}, "status": {"phase": "Running"}}) is None
    True
    """
    name = f"pod/{(pod.get('metadata') or {}).get('name')}"
    st = pod.get("status") or {}
    for cs in (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or []):
        waiting_ = (cs.get("state") or {}).get("waiting") or {}
        if waiting_.get("reason") in UNHEALABLE:
            message = f" ({waiting_['message'][:200]})" if waiting_.get("message") else ""
            return _("{pod} container {container}: {reason}{message}").format(
                pod=name, container=cs.get("name"), reason=waiting_["reason"], message=message)
        for state in (cs.get("state") or {}, cs.get("lastState") or {}):
            if ((state.get("terminated") or {}).get("reason")) == "OOMKilled":
                return _("{pod} container {container}: OOMKilled (it used more memory than its limit)").format(
                    pod=name, container=cs.get("name"))
    for cond in st.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "Unschedulable":
            return f"{name}: Unschedulable ({cond.get('message', '')[:200]})"
    return None


def new_pods(dep: dict, replicasets: list[dict], pods_: list[dict]) -> list[dict]:
    """The pods of a Deployment's current ReplicaSet (the one at its revision), not old
    versions' pods nor strays that only match the selector.

    >>> dep = {"metadata": {"uid": "d", "annotations": {REVISION: "2"}}}
    >>> rs = [{"metadata": {"name": "web-a", "uid": "a", "ownerReferences": [{"uid": "d"}],
    ...                     "annotations": {REVISION: "1"}}},
    ...       {"metadata": {"name": "web-b", "uid": "b", "ownerReferences": [{"uid": "d"}],
    ...                     "annotations": {REVISION: "2"}}}]
    >>> pods_ = [{"metadata": {"name": n, "ownerReferences": [{"uid": u}]}} for n, u in (("p1", "a"), ("p2", "b"))]
    >>> [p["metadata"]["name"] for p in new_pods(dep, rs, pods_)]
    ['p2']
    """
    meta = dep.get("metadata") or {}
    revision = (meta.get("annotations") or {}).get(REVISION)
    current = {(r.get("metadata") or {}).get("uid") for r in replicasets
               if any(o.get("uid") == meta.get("uid") for o in (r.get("metadata") or {}).get("ownerReferences") or [])
               and ((r.get("metadata") or {}).get("annotations") or {}).get(REVISION) == revision}
    return [p for p in pods_ if any(o.get("uid") in current for o in (p.get("metadata") or {}).get("ownerReferences") or [])]


def leaving_pods(dep: dict, replicasets: list[dict], pods_: list[dict]) -> list[dict]:
    """A Deployment's pods on their way out: shutting down (scaled down, replaced), or of
    an earlier version and still running. Not the ones that failed or were evicted
    (those stay until garbage-collected) nor strays that only match the selector.

    >>> dep = {"metadata": {"uid": "d", "annotations": {REVISION: "2"}}}
    >>> rs = [{"metadata": {"uid": "a", "ownerReferences": [{"uid": "d"}], "annotations": {REVISION: "1"}}},
    ...       {"metadata": {"uid": "b", "ownerReferences": [{"uid": "d"}], "annotations": {REVISION: "2"}}}]
    >>> pods_ = [{"metadata": {"name": "old", "ownerReferences": [{"uid": "a"}]}, "status": {"phase": "Running"}},
    ...          {"metadata": {"name": "evicted", "ownerReferences": [{"uid": "a"}]}, "status": {"phase": "Failed"}},
    ...          {"metadata": {"name": "new", "ownerReferences": [{"uid": "b"}]}, "status": {"phase": "Running"}},
    ...          {"metadata": {"name": "scaled-down", "ownerReferences": [{"uid": "b"}],
    ...                        "deletionTimestamp": "2026-11-29T16:00:00Z"}, "status": {"phase": "Running"}},
    ...          {"metadata": {"name": "stopping", "ownerReferences": [{"uid": "a"}],
    ...                        "deletionTimestamp": "2026-11-29T16:00:00Z"}, "status": {"phase": "Failed"}},
    ...          {"metadata": {"name": "stray"}, "status": {"phase": "Running"}}]
    >>> [p["metadata"]["name"] for p in leaving_pods(dep, rs, pods_)]
    ['old', 'scaled-down', 'stopping']
    """
    meta = dep.get("metadata") or {}
    revision = (meta.get("annotations") or {}).get(REVISION)
    owned = {(r.get("metadata") or {}).get("uid"): ((r.get("metadata") or {}).get("annotations") or {}).get(REVISION)
             for r in replicasets
             if any(o.get("uid") == meta.get("uid") for o in (r.get("metadata") or {}).get("ownerReferences") or [])}
    leaving = []
    for p in pods_:
        pm = p.get("metadata") or {}
        owner = next((o.get("uid") for o in pm.get("ownerReferences") or [] if o.get("uid") in owned), None)
        if owner is None:
            continue
        # Being deleted counts whatever the phase (the kubelet marks a stopped pod Failed
        # before it is gone); a Failed pod nobody deletes (evicted) does not.
        if pm.get("deletionTimestamp") or (owned[owner] != revision and (p.get("status") or {}).get("phase")
                                           not in ("Failed", "Succeeded")):
            leaving.append(p)
    return leaving


def rollout_status(deployment: str, namespace: str = "default", *, timeout: float = 180,
                   context: str | None = None, progress: Callable[[dict], None] | None = None,
                   settled: bool = True) -> dict:
    """Watch a Deployment's rollout until it finishes, as ``kubectl rollout status`` judges it
    (:func:`rollout_state`); returns ``replicas`` and ``revision``.

    ``settled`` (the default, for lessons) also waits until the pods on their way out
    have exited (:func:`leaving_pods`), so that every answer afterwards comes from the
    new version and ``kubectl get pods`` lists just the wanted pods; ``settled=False``
    returns when kubectl does (the pipeline, which then waits for the new version's answer).

    Fails fast: a new pod in a state that waiting will not heal (:func:`unhealable`:
    CrashLoopBackOff, ImagePullBackOff, OOMKilled, CreateContainerConfigError,
    Unschedulable), a ``ReplicaFailure`` (pods refused, e.g. by Pod Security) or
    ``ProgressDeadlineExceeded`` ends the wait at once with the diagnosis.

    ``progress`` is called on every change with ``want``, ``updated``, ``available``
    and ``pods`` (the pods of every version, old ones included), for a live view.

    Twin: ``kubectl rollout status deployment/NAME --timeout=180s``
    """
    dyn = dynamic(context)
    first = get("deployment", deployment, namespace, context=context)
    if first is None:
        raise DeployFailed(_("deployment/{name} does not exist in namespace {namespace}").format(
                               name=deployment, namespace=namespace),
                           hint=_("apply it first; `kubectl get deployments -n {namespace}` lists what is there").format(
                               namespace=namespace))
    selector = label_selector(first["spec"]["selector"].get("matchLabels") or {})
    sources = [waiting.Source("deployment", _resource(dyn, first), dyn, namespace, name=deployment),
               waiting.Source("replicasets", dyn.resources.get(api_version="apps/v1", kind="ReplicaSet"), dyn,
                              namespace, selector=selector),
               waiting.Source("pods", dyn.resources.get(api_version="v1", kind="Pod"), dyn, namespace,
                              selector=selector)]

    def judge(view: dict) -> dict | None:
        dep = view["deployment"].get(deployment)
        if dep is None:
            raise DeployFailed(_("deployment/{name} was deleted during its rollout").format(name=deployment),
                               hint=_("something else deleted it: `kubectl get events` names who"))
        st, want = dep.get("status") or {}, (dep.get("spec") or {}).get("replicas", 1)
        if progress:
            progress({"want": want, "updated": st.get("updatedReplicas") or 0,
                      "available": st.get("availableReplicas") or 0, "pods": st.get("replicas") or 0})
        verdict, message = rollout_state(dep)
        if verdict == "done" and not (settled and leaving_pods(dep, list(view["replicasets"].values()),
                                                               list(view["pods"].values()))):
            return {"replicas": want, "revision": ((dep.get("metadata") or {}).get("annotations") or {}).get(REVISION)}
        if verdict == "failed":
            state = f"{message}\n{diagnose('deployment', deployment, namespace, context=context)}"
            raise DeployFailed(_("deployment/{name} cannot finish rolling out").format(name=deployment),
                               state=state, hint=hint_for(state))
        if (st.get("observedGeneration") or 0) >= ((dep.get("metadata") or {}).get("generation") or 0):
            stuck = [r for p in new_pods(dep, list(view["replicasets"].values()), list(view["pods"].values()))
                     if (r := unhealable(p))]
            if stuck:
                state = "\n".join(stuck) + "\n" + diagnose("deployment", deployment, namespace, context=context)
                raise DeployFailed(_("deployment/{name} cannot finish rolling out: a new pod will not "
                                     "become Ready by waiting").format(name=deployment), state=state, hint=hint_for(state))
        return None

    def seen(view: dict) -> str:
        dep = view["deployment"].get(deployment)
        verdict, message = rollout_state(dep) if dep else ("gone", _("deployment/{name} is gone").format(name=deployment))
        if verdict == "done":
            message = _("deployment/{name}: rolled out, pods on their way out still shutting down").format(name=deployment)
        return f"{message}\n{diagnose('deployment', deployment, namespace, context=context)}"

    return waiting.watch(sources, judge, timeout=timeout, what=_("deployment/{name} rolling out").format(name=deployment),
                         seen=seen, hint=hint_for, error=DeployFailed)


# Annotations the Deployment keeps through an undo (the controller's own); every other
# annotation comes from the revision rolled back to, as kubectl does it.
_UNDO_KEEPS = (REVISION, "deployment.kubernetes.io/revision-history", "deployment.kubernetes.io/desired-replicas",
               "deployment.kubernetes.io/max-replicas", "kubectl.kubernetes.io/last-applied-configuration")


def rollout_undo(deployment: str, namespace: str = "default", *, to_revision: int | None = None,
                 context: str | None = None) -> str:
    """Go back to the previous revision (or ``to_revision``) as ``kubectl rollout undo``
    does: the pod template of that revision's ReplicaSet replaces the Deployment's
    **whole** (what a later version added, a ``command``, env, a container, goes too);
    nothing changes when the template already is that revision's. Returns its image(s).

    Twin: ``kubectl rollout undo deployment/NAME [--to-revision=N]``
    """
    dep = get("deployment", deployment, namespace, context=context)
    if dep is None:
        raise DeployFailed(_("deployment/{name} does not exist in namespace {namespace}").format(
            name=deployment, namespace=namespace), hint=_("nothing to undo"))
    if (dep.get("spec") or {}).get("paused"):
        raise DeployFailed(_("deployment/{name} is paused").format(name=deployment),
                           hint=_("`kubectl rollout resume deployment/{name}` first: a paused Deployment is not "
                                  "rolled back").format(name=deployment))
    meta = dep["metadata"]
    sets = [rs for rs in get("replicaset", namespace=namespace, context=context,
                             selector=label_selector(dep["spec"]["selector"].get("matchLabels") or {})) or []
            if any(o.get("uid") == meta["uid"] for o in rs["metadata"].get("ownerReferences") or [])]
    by_revision = {int((rs["metadata"].get("annotations") or {}).get(REVISION, "0")): rs for rs in sets}
    if to_revision is None:
        older = sorted(by_revision)[:-1]  # kubectl: the highest revision but the latest
        to_revision = older[-1] if older else None
    if to_revision not in by_revision:
        shown = ", ".join(str(r) for r in sorted(by_revision)) or _("none")
        what = (_("deployment/{name} has no revision {revision} to go back to") if to_revision
                else _("deployment/{name} has no revision before this one to go back to"))
        raise DeployFailed(what.format(name=deployment, revision=to_revision),
                           state=_("revisions kept: {revisions}").format(revisions=shown),
                           hint=_("a first deploy has nothing to undo: delete it instead"))
    target = by_revision[to_revision]
    template = copy.deepcopy(target["spec"]["template"])
    template.setdefault("metadata", {}).setdefault("labels", {}).pop("pod-template-hash", None)
    images = ",".join(c["image"] for c in template["spec"]["containers"])
    if template == dep["spec"]["template"]:
        return images  # kubectl: "skipped rollback (current template already matches revision N)"
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k in _UNDO_KEEPS}
    annotations.update({k: v for k, v in (target["metadata"].get("annotations") or {}).items() if k not in _UNDO_KEEPS})
    # A JSON patch `replace`, not a strategic merge: a merge would keep what the failed
    # version added (a command, env, probes, volumes, a container).
    apps(context).patch_namespaced_deployment(deployment, namespace, [
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations}])
    return images


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
        raise ClusterError(_("port-forward to {target} failed").format(target=target), state=proc.stderr.read()[-400:],
                           hint=_("is port {port} free? does {target} exist in {namespace}?").format(
                               port=local_port, target=target, namespace=namespace))
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


#: How :func:`diagnose` labels a container's last exit; :func:`hint_for` looks for it.
LAST_EXIT = N_("last exit")


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
            lines.append(_("deployment/{name}: {ready}/{replicas} ready, {updated} updated").format(
                name=name, ready=st.ready_replicas or 0, replicas=dep.spec.replicas, updated=st.updated_replicas or 0))
        for row in pod_table(namespace, selector, context=context) if selector else []:
            # kubectl's columns as kubectl names them; the last exit in the learner's language
            last = f" {_(LAST_EXIT)}: {row['last_exit']}" if row["last_exit"] else ""
            lines.append(f"pod/{row['name']}: {row['status']} ready={row['ready']} restarts={row['restarts']}{last}")
            if row["status"] in ("CrashLoopBackOff", "Error") or row["restarts"]:
                tail = logs(row["name"], namespace, tail=5, context=context).strip()
                if tail:
                    lines.extend("    " + _("log: {line}").format(line=t) for t in tail.splitlines()[-5:])
        lines.extend(_("event: {event}").format(event=e) for e in events(namespace, name, context=context))
    except ApiException as err:
        lines.append(_("(could not read state: {reason})").format(reason=_api_message(err)))
    return "\n".join(lines)


def hint_for(state: str) -> str:
    """The fix for the failure a diagnosis shows."""
    if "ImagePullBackOff" in state or "ErrImagePull" in state:
        if ":latest" in state:
            return _("the image uses `latest`: push a versioned tag and put that exact path in the manifest")
        return _("the node cannot pull the image: was it pushed to localhost:5001, and does the manifest "
                 "name exactly the pushed path and tag (the 🔥 rule)?")
    if "CrashLoopBackOff" in state or "Error" in state or "last exit" in state or _(LAST_EXIT) in state:
        return _("the container starts and exits: read its log lines above, fix the app or its command")
    if "Readiness probe failed" in state or "Unhealthy" in state:
        return _("the app runs but fails its readiness probe: check the probe's path and port against the app")
    if "Insufficient" in state or "FailedScheduling" in state:
        return _("no node has room for the pod's resource requests: lower them or add a node")
    return _("read the events above; `kubectl describe` the object for more")
