"""Manifests in ``k8s/``: load, set the image path, validate (Kargo's check).

Validation has two parts: the lab's rules, pure logic that needs no cluster
(the 🔥 image-path rule, selector ⇔ template labels, Service targetPort ⇔ a
containerPort, Ingress backend ⇔ a Service and its port), and the schema, which
the real API server judges with a server-side dry run.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

from . import kube
from .errors import ManifestInvalid
from .i18n import N_, _

IMAGE_PLACEHOLDER = "IMAGE"
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")
#: Kinds that live outside any namespace: a repository's k8s/ must not change the cluster.
CLUSTER_SCOPED = ("Namespace", "ClusterRole", "ClusterRoleBinding", "IngressClass", "StorageClass",
                  "PersistentVolume", "CustomResourceDefinition", "PriorityClass", "RuntimeClass", "Node",
                  "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService", "CSIDriver",
                  "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
#: What the pipeline rolls out, and can undo: Deployments. These others it names and refuses.
NOT_ROLLED_OUT = {"StatefulSet": N_("its pods are replaced one by one and `kubectl rollout undo` of it is not "
                                    "what the pipeline undoes"),
                  "DaemonSet": N_("it runs a pod on every node (a node agent), not an app behind a URL"),
                  "Job": N_("it runs to completion once: it is not served behind a URL"),
                  "CronJob": N_("it runs on a schedule: it is not served behind a URL"),
                  "ReplicaSet": N_("a bare ReplicaSet has no rollout nor undo: a Deployment manages them"),
                  "Pod": N_("a bare Pod has no rollout nor undo and is not replaced when it dies")}
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def load_dir(path: str | Path) -> list[dict]:
    """Every object in a folder's ``*.yaml``/``*.yml`` files (sorted by name), or one file.

    Twin: ``cat k8s/*.yaml``
    """
    path = Path(path)
    if not path.exists():
        raise ManifestInvalid(_("{path} does not exist").format(path=path),
                              hint=_("put the Kubernetes resource files in a k8s/ folder at the repository root"))
    docs = kube.load_docs(path)
    if not docs:
        raise ManifestInvalid(_("{path} holds no Kubernetes objects").format(path=path),
                              hint=_("add a Deployment, a Service and an Ingress (see apps/hello/k8s)"))
    return docs


def pod_spec(doc: dict) -> dict | None:
    if doc.get("kind") == "Pod":
        return doc.get("spec") or {}
    if doc.get("kind") in WORKLOADS:
        return ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}
    return None


def containers(doc: dict) -> list[dict]:
    spec = pod_spec(doc) or {}
    return list(spec.get("containers") or []) + list(spec.get("initContainers") or [])


def repository(image: str) -> str:
    """An image reference without its tag or digest.

    >>> repository("localhost:5001/hello:v1")
    'localhost:5001/hello'
    >>> repository("localhost:5001/hello")
    'localhost:5001/hello'
    """
    image = image.split("@", 1)[0]
    last = image.rsplit("/", 1)[-1]
    return image.rsplit(":", 1)[0] if ":" in last else image


def fill_placeholder(source: str | Path | list[dict], image: str) -> list[dict]:
    """Objects (from a file, a folder or a list) with only the ``IMAGE`` placeholder filled
    in: any other image (a wrong path, ``latest``) stays as written, for the cluster or
    the rules to refuse. The labs and ``labctl validate --image`` use this; :func:`render`
    is the pipeline's.

    >>> d = {"kind": "Pod", "spec": {"containers": [{"image": "IMAGE"}, {"image": "x:latest"}]}}
    >>> [c["image"] for c in fill_placeholder([d], "localhost:5001/a:1")[0]["spec"]["containers"]]
    ['localhost:5001/a:1', 'x:latest']
    """
    docs = copy.deepcopy(load_dir(source) if isinstance(source, (str, Path)) else kube.load_docs(source))
    for doc in docs:
        for c in containers(doc):
            if c.get("image") == IMAGE_PLACEHOLDER:
                c["image"] = image
    return docs


def render(docs: list[dict], image: str, namespace: str | None = None) -> list[dict]:
    """Copies of ``docs`` with the ``IMAGE`` placeholder filled in with the pushed image
    path, and ``namespace`` set where a namespaced object names none.

    The placeholder is the one thing filled in: any other image (``latest``, another
    tag or a digest, even of the pushed repository) stays as written, for
    :func:`validate` to refuse (🔥); a namespace written in a file stays too, for
    :func:`pipeline_problems` to judge.

    >>> d = {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"image": "IMAGE"}]}}}}
    >>> render([d], "localhost:5001/hello:abc")[0]["spec"]["template"]["spec"]["containers"][0]["image"]
    'localhost:5001/hello:abc'
    """
    out = fill_placeholder(docs, image)
    for doc in out:
        if namespace and doc.get("kind") not in CLUSTER_SCOPED:
            meta = doc.setdefault("metadata", {})
            meta["namespace"] = meta.get("namespace") or namespace
    return out


def _name(doc: dict) -> str:
    return f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name', '?')}"


def _matches(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_rules(docs: list[dict], expected_image: str | None = None) -> list[str]:
    """The lab's rules; returns the problems found (empty when all hold)."""
    problems: list[str] = []
    workloads = [d for d in docs if d.get("kind") in WORKLOADS or d.get("kind") == "Pod"]
    services = {(d.get("metadata") or {}).get("name"): d for d in docs if d.get("kind") == "Service"}

    for doc in docs:
        name = (doc.get("metadata") or {}).get("name")
        if not name:
            problems.append(_("{kind} without metadata.name").format(kind=doc.get("kind")))
        elif not isinstance(name, str) or len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
            if str(name) != str(name).lower():
                text = _("{object}: the name {name} has upper-case letters: Kubernetes names are lower-case "
                         "letters, digits, '-' and '.' (try {suggestion})")
            else:
                text = _("{object}: the name {name} is not a DNS name: Kubernetes names are lower-case letters, "
                         "digits, '-' and '.' (try {suggestion})")
            suggestion = re.sub(r"[^a-z0-9.-]+", "-", str(name).lower()).strip("-.")
            problems.append(text.format(object=_name(doc), name=repr(name), suggestion=repr(suggestion)))
    for doc in workloads:
        for c in containers(doc):
            image = c.get("image", "")
            where = _("{object} container {container}").format(object=_name(doc), container=c.get("name", "?"))
            if not image or image == IMAGE_PLACEHOLDER:
                problems.append(_("🔥 {where} has no image path: copy the pushed image's path in").format(
                    where=where))
            elif image.endswith(":latest") or ":" not in image.rsplit("/", 1)[-1] and "@" not in image:
                problems.append(_("🔥 {where} uses {image}: `latest` (or no tag) is never deployed; "
                                  "use the exact pushed tag").format(where=where, image=repr(image)))
            elif expected_image and image != expected_image:
                problems.append(_("🔥 {where} uses {image}, not the image just pushed ({expected}): "
                                  "write `image: {placeholder}` and the pipeline fills in the pushed path").format(
                    where=where, image=repr(image), expected=expected_image, placeholder=IMAGE_PLACEHOLDER))
        if doc.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
            selector = ((doc.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
            labels = (((doc.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
            if not _matches(selector, labels):
                problems.append(_("{object}: selector {selector} does not match its pod template's labels "
                                  "{labels}: the ReplicaSet could never find its pods").format(
                    object=_name(doc), selector=selector, labels=labels))

    for svc in services.values():
        selector = (svc.get("spec") or {}).get("selector") or {}
        if not selector:
            continue
        targets = [d for d in workloads if _matches(selector, _pod_labels(d))]
        if not targets:
            problems.append(_("{object}: selector {selector} matches no pod template here: "
                              "the Service would have no endpoints").format(object=_name(svc), selector=selector))
            continue
        ports = [p for d in targets for c in containers(d) for p in c.get("ports") or []]
        for sp in (svc.get("spec") or {}).get("ports") or []:
            target = sp.get("targetPort", sp.get("port"))
            ok = any(p.get("containerPort") == target or (isinstance(target, str) and p.get("name") == target)
                     for p in ports)
            if not ok:
                shown = [p.get("containerPort") for p in ports]
                problems.append(_("{object}: targetPort {target} is not a containerPort of its pods {ports}").format(
                    object=_name(svc), target=repr(target), ports=shown))

    for ing in (d for d in docs if d.get("kind") == "Ingress"):
        for backend in _ingress_backends(ing):
            svc_name = backend.get("name")
            port = backend.get("port") or {}
            svc = services.get(svc_name)
            if svc is None:
                problems.append(_("{object}: backend Service {service} is not defined in these manifests").format(
                    object=_name(ing), service=repr(svc_name)))
                continue
            svc_ports = (svc.get("spec") or {}).get("ports") or []
            if not any(p.get("port") == port.get("number") or (port.get("name") and p.get("name") == port.get("name"))
                       for p in svc_ports):
                problems.append(_("{object}: backend port {port} is not a port of Service/{service} {ports}").format(
                    object=_name(ing), port=port, service=svc_name, ports=[p.get("port") for p in svc_ports]))
    return problems


def _pod_labels(doc: dict) -> dict:
    if doc.get("kind") == "Pod":
        return (doc.get("metadata") or {}).get("labels") or {}
    return (((doc.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}


def _ingress_backends(ing: dict) -> list[dict]:
    spec = ing.get("spec") or {}
    found = []
    if (spec.get("defaultBackend") or {}).get("service"):
        found.append(spec["defaultBackend"]["service"])
    for rule in spec.get("rules") or []:
        for path in ((rule.get("http") or {}).get("paths")) or []:
            service = (path.get("backend") or {}).get("service")
            if service:
                found.append(service)
    return found


def pipeline_problems(docs: list[dict], namespace: str) -> list[str]:
    """What the pipeline refuses before it builds or applies anything (pure, no cluster):
    kinds it cannot roll out or undo, objects outside its namespace, a k8s/ without a
    Deployment or without an Ingress host (the pipeline ends with a URL).

    >>> pipeline_problems([{"kind": "StatefulSet", "metadata": {"name": "db"}}], "web")[0]
    'StatefulSet/db: the pipeline rolls out and undoes Deployments only, and a StatefulSet: its pods are \
replaced one by one and `kubectl rollout undo` of it is not what the pipeline undoes'
    """
    problems = []
    for doc in docs:
        kind, meta = doc.get("kind"), doc.get("metadata") or {}
        if kind in NOT_ROLLED_OUT:
            problems.append(_("{object}: the pipeline rolls out and undoes Deployments only, and a {kind}: "
                              "{reason}").format(object=_name(doc), kind=kind, reason=_(NOT_ROLLED_OUT[kind])))
        elif kind == "Namespace":
            if meta.get("name") != namespace:
                problems.append(_("{object}: k8s/ may only describe the namespace it is deployed to "
                                  "({namespace}), not create or change another").format(
                    object=_name(doc), namespace=namespace))
            policy = sorted(k for k in meta.get("labels") or {} if k.startswith("pod-security.kubernetes.io/"))
            if policy:
                problems.append(_("{object}: sets {labels}: a repository does not choose its own "
                                  "Pod Security level (the lab enforces baseline)").format(
                    object=_name(doc), labels=", ".join(policy)))
        elif kind in CLUSTER_SCOPED:
            problems.append(_("{object}: a {kind} is cluster-wide: a repository's k8s/ may only hold "
                              "objects of its own namespace ({namespace})").format(
                object=_name(doc), kind=kind, namespace=namespace))
        elif meta.get("namespace") and meta["namespace"] != namespace:
            problems.append(_("{object}: metadata.namespace is {written}, but the pipeline deploys "
                              "to {namespace}: remove the line, or deploy with --namespace {name}").format(
                object=_name(doc), written=repr(meta["namespace"]), namespace=repr(namespace), name=meta["namespace"]))
    if not any(d.get("kind") == "Deployment" for d in docs):
        problems.append(_("k8s/ holds no Deployment: there is nothing to roll out"))
    if not any(d.get("kind") == "Ingress" for d in docs):
        problems.append(_("k8s/ holds no Ingress: the pipeline ends with the app's URL, and an Ingress gives it"))
    elif not any(r.get("host") for d in docs if d.get("kind") == "Ingress"
                 for r in (d.get("spec") or {}).get("rules") or []):
        problems.append(_("the Ingress in k8s/ has no host (spec.rules[].host): the URL is http://HOST/"))
    return problems


def host_conflicts(docs: list[dict], namespace: str, *, context: str | None = None) -> list[str]:
    """Ingress hosts in ``docs`` that an Ingress of another namespace already serves (two
    namespaces on one host would split its traffic between two apps).

    Twin: ``kubectl get ingress -A``
    """
    wanted = {r.get("host"): _name(d) for d in docs if d.get("kind") == "Ingress"
              for r in (d.get("spec") or {}).get("rules") or [] if r.get("host")}
    problems = []
    for ing in kube.get("ingress", namespace=None, context=context) or []:
        meta = ing["metadata"]
        if meta.get("namespace") == namespace:
            continue
        for rule in (ing.get("spec") or {}).get("rules") or []:
            if rule.get("host") in wanted:
                problems.append(_("{object}: host {host} is already served by ingress/{ingress} in namespace "
                                  "{namespace}").format(object=wanted[rule["host"]], host=rule["host"],
                                                        ingress=meta["name"], namespace=meta["namespace"]))
    return problems


def dry_run(docs: list[dict], namespace: str | None = None, *, context: str | None = None) -> list[str]:
    """The API server's verdict on each object (server-side apply, dry run), and Pod
    Security admission's on each workload's pods (a dry-run Pod from its template in
    the namespace); the problems found.

    Twin: ``kubectl apply --server-side --dry-run=server -f k8s/``
    """
    problems = []
    dyn = kube.dynamic(context)
    for doc in docs:
        try:
            res = dyn.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
        except Exception:  # noqa: BLE001 - unknown kind or group
            problems.append(_("{object}: the cluster knows no {kind} in {api_version}").format(
                object=_name(doc), kind=doc["kind"], api_version=doc["apiVersion"]))
            continue
        ns = ((doc.get("metadata") or {}).get("namespace") or namespace or "default") if res.namespaced else None
        try:
            dyn.server_side_apply(res, body=doc, name=doc["metadata"]["name"], namespace=ns,
                                  field_manager=kube.FIELD_MANAGER, force_conflicts=True, dry_run="All")
        except Exception as err:  # noqa: BLE001 - ApiException carries the server's message
            message = _message(err)
            if "namespaces" in message and "not found" in message:
                continue  # the namespace is created by the same apply
            problems.append(f"{_name(doc)}: {message}")
            continue
        if doc.get("kind") in WORKLOADS:
            problems.extend(_pod_security(doc, ns, context))
    return problems


def _pod_security(doc: dict, namespace: str, context: str | None) -> list[str]:
    # Pod Security admission judges pods, not Deployments: without this a privileged
    # template passes the dry run and its ReplicaSet is refused every pod later.
    template = (doc.get("spec") or {}).get("template") or {}
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": f"{doc['metadata']['name'][:40]}-pod-security-check",
                        "labels": (template.get("metadata") or {}).get("labels") or {}},
           "spec": template.get("spec") or {}}
    try:
        kube.core(context).create_namespaced_pod(namespace, pod, dry_run="All")
    except Exception as err:  # noqa: BLE001 - ApiException carries the server's message
        message = _message(err)
        if "PodSecurity" in message:
            return [_("{object}: its pods are refused by Pod Security in namespace {namespace}: {message}").format(
                object=_name(doc), namespace=namespace, message=message)]
    return []


def _message(err: Exception) -> str:
    return kube._api_message(err) if getattr(err, "body", None) else str(err)[:300]  # noqa: SLF001


def validate(docs: list[dict], expected_image: str | None = None, *, namespace: str | None = None,
             context: str | None = None, schema: bool = True) -> None:
    """Raise :class:`ManifestInvalid` listing every problem, or return quietly.

    The lab's rules first (pure); with ``schema``, then the cluster's verdicts: the API
    server's dry run, Pod Security, and Ingress hosts taken by another namespace.

    Twin: ``kubectl apply --dry-run=server -f k8s/`` plus the lab's rules.
    """
    problems = check_rules(docs, expected_image)
    if schema and not problems:
        problems = dry_run(docs, namespace, context=context)
        problems += host_conflicts(docs, namespace or "default", context=context)
    if problems:
        raise ManifestInvalid(_("the manifests are not valid ({count} problem(s))").format(count=len(problems)),
                              problems, hint=problems_hint(problems))


def problems_hint(problems: list[str]) -> str:
    """The fix for the first kind of problem listed."""
    text = "\n".join(problems)
    if "🔥" in text:
        return _("each manifest must name the exact image just pushed (the 🔥 rule)")
    if "PodSecurity" in text:
        return _("privileged containers, hostPath volumes, host network/PID/IPC and hostPorts give a pod root on "
                 "the host, and this namespace refuses them (Pod Security `baseline`): remove them from k8s/")
    # host_conflicts' problem, in any language: only it names another Ingress as ``ingress/NAME``.
    if "already served by" in text or " ingress/" in text:
        return _("give the Ingress its own host (e.g. NAME-you.localhost), or delete the other one: "
                 "`kubectl delete ingress NAME -n NAMESPACE`")
    return _("fix each problem listed; `labctl validate k8s/` checks again")
