"""Manifests in ``k8s/``: load, set the image path, validate (Kargo's check).

Validation has two parts: the lab's rules, pure logic that needs no cluster
(the 🔥 image-path rule, selector ⇔ template labels, Service targetPort ⇔ a
containerPort, Ingress backend ⇔ a Service and its port), and the schema, which
the real API server judges with a server-side dry run.
"""

from __future__ import annotations

import copy
from pathlib import Path

from . import kube
from .errors import ManifestInvalid

IMAGE_PLACEHOLDER = "IMAGE"
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")


def load_dir(path: str | Path) -> list[dict]:
    """Every object in a folder's ``*.yaml``/``*.yml`` files (sorted by name), or one file.

    Twin: ``cat k8s/*.yaml``
    """
    path = Path(path)
    if not path.exists():
        raise ManifestInvalid(f"{path} does not exist",
                              hint="put the Kubernetes resource files in a k8s/ folder at the repository root")
    docs = kube.load_docs(path)
    if not docs:
        raise ManifestInvalid(f"{path} holds no Kubernetes objects",
                              hint="add a Deployment, a Service and an Ingress (see apps/hello/k8s)")
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
    """Copies of ``docs`` with the pushed image path filled in.

    A container image that is the placeholder ``IMAGE`` or names the pushed
    image's repository gets ``image``; any other image is left as written, for
    :func:`validate` to refuse.

    >>> d = {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"image": "IMAGE"}]}}}}
    >>> render([d], "localhost:5001/hello:abc")[0]["spec"]["template"]["spec"]["containers"][0]["image"]
    'localhost:5001/hello:abc'
    """
    out = []
    for doc in docs:
        doc = copy.deepcopy(doc)
        if namespace and doc.get("kind") not in ("Namespace", "ClusterRole", "ClusterRoleBinding", "IngressClass"):
            doc.setdefault("metadata", {})["namespace"] = namespace
        for c in containers(doc):
            if c.get("image") == IMAGE_PLACEHOLDER or repository(c.get("image", "")) == repository(image):
                c["image"] = image
        out.append(doc)
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
        if not (doc.get("metadata") or {}).get("name"):
            problems.append(f"{doc.get('kind')} without metadata.name")
    for doc in workloads:
        for c in containers(doc):
            image = c.get("image", "")
            where = f"{_name(doc)} container {c.get('name', '?')}"
            if not image or image == IMAGE_PLACEHOLDER:
                problems.append(f"🔥 {where} has no image path: copy the pushed image's path in")
            elif image.endswith(":latest") or ":" not in image.rsplit("/", 1)[-1] and "@" not in image:
                problems.append(f"🔥 {where} uses {image!r}: `latest` (or no tag) is never deployed; "
                                "use the exact pushed tag")
            elif expected_image and image != expected_image:
                problems.append(f"🔥 {where} uses {image!r}, not the image just pushed ({expected_image})")
        if doc.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
            selector = ((doc.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
            labels = (((doc.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
            if not _matches(selector, labels):
                problems.append(f"{_name(doc)}: selector {selector} does not match its pod template's labels "
                                f"{labels}: the ReplicaSet could never find its pods")

    for svc in services.values():
        selector = (svc.get("spec") or {}).get("selector") or {}
        if not selector:
            continue
        targets = [d for d in workloads if _matches(selector, _pod_labels(d))]
        if not targets:
            problems.append(f"{_name(svc)}: selector {selector} matches no pod template here: "
                            "the Service would have no endpoints")
            continue
        ports = [p for d in targets for c in containers(d) for p in c.get("ports") or []]
        for sp in (svc.get("spec") or {}).get("ports") or []:
            target = sp.get("targetPort", sp.get("port"))
            ok = any(p.get("containerPort") == target or (isinstance(target, str) and p.get("name") == target)
                     for p in ports)
            if not ok:
                shown = [p.get("containerPort") for p in ports]
                problems.append(f"{_name(svc)}: targetPort {target!r} is not a containerPort of its pods {shown}")

    for ing in (d for d in docs if d.get("kind") == "Ingress"):
        for backend in _ingress_backends(ing):
            svc_name = backend.get("name")
            port = backend.get("port") or {}
            svc = services.get(svc_name)
            if svc is None:
                problems.append(f"{_name(ing)}: backend Service {svc_name!r} is not defined in these manifests")
                continue
            svc_ports = (svc.get("spec") or {}).get("ports") or []
            if not any(p.get("port") == port.get("number") or (port.get("name") and p.get("name") == port.get("name"))
                       for p in svc_ports):
                problems.append(f"{_name(ing)}: backend port {port} is not a port of Service/{svc_name} "
                                f"{[p.get('port') for p in svc_ports]}")
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


def dry_run(docs: list[dict], namespace: str | None = None, *, context: str | None = None) -> list[str]:
    """The API server's schema verdict on each object (server-side apply, dry run); problems found."""
    problems = []
    dyn = kube.dynamic(context)
    for doc in docs:
        try:
            res = dyn.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
        except Exception:  # noqa: BLE001 - unknown kind or group
            problems.append(f"{_name(doc)}: the cluster knows no {doc['kind']} in {doc['apiVersion']}")
            continue
        ns = ((doc.get("metadata") or {}).get("namespace") or namespace or "default") if res.namespaced else None
        try:
            dyn.server_side_apply(res, body=doc, name=doc["metadata"]["name"], namespace=ns,
                                  field_manager=kube.FIELD_MANAGER, force_conflicts=True, dry_run="All")
        except Exception as err:  # noqa: BLE001 - ApiException carries the server's message
            body = getattr(err, "body", None)
            message = kube._api_message(err) if body else str(err)[:300]  # noqa: SLF001
            if "namespaces" in message and "not found" in message:
                continue  # the namespace is created by the same apply
            problems.append(f"{_name(doc)}: {message}")
    return problems


def validate(docs: list[dict], expected_image: str | None = None, *, namespace: str | None = None,
             context: str | None = None, schema: bool = True) -> None:
    """Raise :class:`ManifestInvalid` listing every problem, or return quietly.

    Twin: ``kubectl apply --dry-run=server -f k8s/`` plus the lab's rules.
    """
    problems = check_rules(docs, expected_image)
    if schema and not problems:
        problems = dry_run(docs, namespace, context=context)
    if problems:
        fire = any(p.startswith("🔥") for p in problems)
        raise ManifestInvalid(f"the manifests are not valid ({len(problems)} problem(s))", problems,
                              hint="each manifest must name the exact image just pushed (the 🔥 rule)" if fire
                              else "fix each problem listed; `labctl validate k8s/` checks again")
