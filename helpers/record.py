"""What ``labctl up`` recorded about the cluster it made: mode, node image, kind config.

The record lives on the control-plane node (``/kind/kubelab-config``), so it
goes with the cluster, and every user who can reach Docker reads the same one.
``up`` compares it with what it would make now: a difference is reported by
name, and the cluster is deleted only when the learner asks (``--recreate``).
"""

from __future__ import annotations

import hashlib
import json

from . import config
from .i18n import _

RECORD_FILE = "/kind/kubelab-config"
FORMAT = 2


def fingerprint(cfg: dict) -> str:
    """A short hash of a kind config (what records written before format 2 held)."""
    return hashlib.sha256(json.dumps(cfg, sort_keys=True).encode()).hexdigest()[:12]


def wanted(mode: config.Mode, cfg: dict, image_id: str | None = None) -> dict:
    """The record of a cluster ``up`` would make now in ``mode`` from the kind config ``cfg``;
    ``image_id``: the ID the node image's name points at here (None when not pulled yet)."""
    return {"format": FORMAT, "mode": "offline" if mode.offline else "online",
            "node_image": mode.image(config.NODE_IMAGE_ONLINE), "node_image_id": image_id,
            "nodes": len(cfg["nodes"]), "config": cfg}


def _control_plane():
    from .docker_client import client  # noqa: PLC0415

    return client().containers.get(f"{config.CLUSTER_NAME}-control-plane")


def read() -> dict | None:
    """The node's record; ``{}`` when the node has none; None when there is no node or no Docker.

    A record of the old format (a bare config hash) reads as ``{"fingerprint": HASH}``. A
    record's ``node_image_id`` is the image the node runs, read from Docker, not the stored one:
    a rebuilt kit keeps the image's name, and only the ID tells the node runs the old build.
    """
    from docker.errors import DockerException  # noqa: PLC0415

    from .errors import LabError  # noqa: PLC0415

    try:
        node = _control_plane()
        code, out = node.exec_run(["cat", RECORD_FILE])
    except (DockerException, LabError):
        return None
    if code != 0:
        return {}
    text = out.decode(errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return {"fingerprint": text} if text else {}
    return dict(data, node_image_id=node.attrs["Image"]) if isinstance(data, dict) else {"fingerprint": text}


def write(record: dict) -> None:
    """Store ``record`` on the control-plane node, without ``node_image_id``: :func:`read`
    takes that from the node itself."""
    from .errors import ClusterError  # noqa: PLC0415

    body = json.dumps({k: v for k, v in record.items() if k != "node_image_id"}, sort_keys=True)
    code, out = _control_plane().exec_run(["sh", "-c", f"cat > {RECORD_FILE} <<'EOF'\n{body}\nEOF"])
    if code != 0:  # else every later `up` would find a cluster it cannot judge
        raise ClusterError(_("could not record the cluster's settings on its node"), state=out.decode())


def recorded_mode() -> config.Mode | None:
    """The mode the existing cluster was made in, or None (no cluster, no Docker, an old record)."""
    record = read()
    if not record or record.get("mode") not in ("online", "offline"):
        return None
    return config.Mode(offline=record["mode"] == "offline")


def _short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def _config_differences(have: dict, want: dict, path: str = "") -> list[str]:
    out = []
    for key in sorted(set(have) | set(want), key=str):
        where = f"{path}.{key}" if path else str(key)
        a, b = have.get(key), want.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _config_differences(a, b, where)
        elif a != b:
            out.append(where)
    return out


def differences(have: dict, want: dict) -> list[str]:
    """What differs between the node's record ``have`` and the wanted one, in words; empty when the same.

    >>> want = {"format": 2, "mode": "offline", "node_image": "n:1", "nodes": 1, "config": {"name": "kubelab"}}
    >>> differences(dict(want), want)
    []
    >>> differences(dict(want, mode="online", nodes=3), want)
    ['made online, `up` would make it offline', 'it has 3 node(s), `up` would make 1']
    >>> differences(dict(want, node_image_id="sha256:0f4ade9901b2aa"), dict(want, node_image_id="sha256:016e27fa6439bb"))
    ['its nodes run an older build of n:1 (0f4ade9901b2); `up` would use 016e27fa6439']
    """
    if not have:
        return [_("its node carries no kubelab record (made by hand, or by another tool)")]
    if "format" not in have:
        if have.get("fingerprint") == fingerprint(want["config"]):
            return []
        return [_("it was made from another kind config or kubelab version (an old record, no details)")]
    out = []
    if have.get("mode") != want["mode"]:
        out.append(_("made {have}, `up` would make it {want}").format(have=have.get("mode"), want=want["mode"]))
    if have.get("node_image") != want["node_image"]:
        out.append(_("node image {have}, `up` would use {want}").format(have=have.get("node_image"),
                                                                       want=want["node_image"]))
    elif None not in (have.get("node_image_id"), want.get("node_image_id")) and \
            have["node_image_id"] != want["node_image_id"]:
        out.append(_("its nodes run an older build of {image} ({have}); `up` would use {want}").format(
            image=want["node_image"], have=_short(have["node_image_id"]), want=_short(want["node_image_id"])))
    if have.get("nodes") != want["nodes"]:
        out.append(_("it has {have} node(s), `up` would make {want}").format(have=have.get("nodes"), want=want["nodes"]))
    fields = [f for f in _config_differences(have.get("config") or {}, want["config"])
              if have.get("nodes") == want["nodes"] or not f.startswith("nodes")]
    if fields:
        out.append(_("its kind config differs in {fields}").format(fields=", ".join(fields)))
    return out
