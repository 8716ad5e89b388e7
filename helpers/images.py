"""Images: build with live progress, layers and history, tag, push.

The Docker twin of each helper is in its docstring, so a learner can type it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
import urllib3
from docker.errors import APIError, ImageNotFound

from . import config
from .docker_client import client
from .errors import BuildFailed
from .i18n import _
from .progress import Progress

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)")
# What the classic builder (the Docker API's /build, which this lab streams) cannot do:
# BuildKit-only flags and heredocs. Found before building, so the error names the line.
_BUILDKIT_ONLY = re.compile(r"^\s*(?:RUN|COPY|ADD)(?:\s+--[\w-]+(?:=\S*)?)*?\s+(--(?:mount|network|security|link|parents|"
                            r"exclude|checksum|keep-git-dir)\b)", re.IGNORECASE)
_HEREDOC = re.compile(r"^\s*(?:RUN|COPY|ADD)\b.*?(<<-?['\"]?[A-Za-z_]\w*['\"]?)(?:\s|$)", re.IGNORECASE)
#: A build step that prints nothing for this long is stopped (seconds).
BUILD_SILENCE = 300


@dataclass
class BuildResult:
    """What a build made and how: the image, its tags, steps, cache hits, time."""

    image_id: str
    tags: list[str]
    seconds: float
    steps: int
    cached_steps: int
    log: list[str] = field(default_factory=list)

    @property
    def short_id(self) -> str:
        return self.image_id.split(":")[-1][:12]


def build(context: str | Path, tag: str, *, dockerfile: str = "Dockerfile", build_args: dict | None = None,
          labels: dict | None = None, mode: config.Mode | None = None, nocache: bool = False,
          echo: bool = True, silence: float = BUILD_SILENCE) -> BuildResult:
    """Build an image from ``context`` with streamed progress.

    The base images are build arguments (:func:`base_args`): the public ones online, the
    offline kit's Debian builds offline, so Dockerfiles stay the same in both modes.
    A Dockerfile that needs BuildKit is refused before building, and a step that
    prints nothing for ``silence`` seconds is stopped: both as :class:`BuildFailed`
    naming the line or step.

    Twin: ``docker build --build-arg BASE_IMAGE=... -t TAG CONTEXT`` (one ``--build-arg`` per base image)

    Example: ``build("apps/hello", "localhost:5001/hello:v1").short_id``
    """
    context = Path(context)
    if not (context / dockerfile).is_file():
        if context.is_dir():
            state = _("files there: {files}").format(files=", ".join(sorted(p.name for p in context.iterdir())[:12]))
        else:
            state = _("{path} does not exist").format(path=context)
        raise BuildFailed(_("no {dockerfile} at the root of {context}").format(dockerfile=dockerfile, context=context),
                          state=state,
                          hint=_("add a {dockerfile} at the repository root: the build service (D2Hub) "
                                 "builds from the root Dockerfile").format(dockerfile=dockerfile))
    _refuse_buildkit_only(context / dockerfile)
    mode = mode or config.detect_mode()
    args = base_args(context / dockerfile, mode)
    args.update(build_args or {})
    all_labels = config.labels()
    all_labels.update(labels or {})
    api = client().api
    started = time.monotonic()
    log: list[str] = []
    steps = cached = 0
    image_id = None
    bar = Progress(_("build {image}").format(image=tag), echo=echo)
    try:
        # The HTTP read timeout is the longest silence allowed between two output lines.
        stream = api.build(path=str(context), dockerfile=dockerfile, tag=tag, buildargs=args, labels=all_labels,
                           rm=True, forcerm=True, decode=True, nocache=nocache, timeout=silence)
        for chunk in stream:
            if "error" in chunk:
                detail = chunk.get("errorDetail", {}).get("message", chunk["error"])
                raise BuildFailed(_("docker build of {image} failed").format(image=tag),
                                  state="\n".join(log[-12:] + [detail]), hint=_build_hint(detail))
            text = chunk.get("stream", "")
            if "aux" in chunk and "ID" in chunk["aux"]:
                image_id = chunk["aux"]["ID"]
            for line in text.splitlines():
                if not line.strip():
                    continue
                log.append(line)
                match = _STEP.match(line)
                if match:
                    steps = int(match.group(2))
                    bar.update(int(match.group(1)), match.group(3), total=steps)
                if "Using cache" in line:
                    cached += 1
    except APIError as err:
        raise BuildFailed(_("docker build of {image} failed").format(image=tag), state=str(err),
                          hint=_build_hint(str(err))) from None
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, TimeoutError) as err:
        # the read timed out (docker-py reads the raw urllib3 stream): a silent step
        step = next((line for line in reversed(log) if _STEP.match(line)), _("before its first step"))
        raise BuildFailed(_("docker build of {image} stopped: a step printed nothing for {seconds:.0f}s").format(
                              image=tag, seconds=silence),
                          state="\n".join(log[-8:] + [_("silent at: {step}").format(step=step),
                                                      f"({type(err).__name__})"]),
                          hint=_("a step waiting on the network (this machine may have none) or on input hangs: "
                                 "make it print progress or finish; `docker build` of the same folder shows it live")
                          ) from None
    finally:
        bar.close()
    if image_id is None:
        image_id = client().images.get(tag).id
    return BuildResult(image_id, [tag], time.monotonic() - started, steps, cached, log)


_ARG = re.compile(r"^\s*ARG\s+([A-Za-z_]\w*)(?:=(\S+))?\s*$", re.IGNORECASE)
#: What an ``ARG BASE_IMAGE`` gets when its default is no image the kit builds: the Python base.
PYTHON_BASE = "python:3.11-slim-bookworm"


def base_args(dockerfile: str | Path, mode: config.Mode | None = None) -> dict[str, str]:
    """The build arguments that choose a Dockerfile's base images in ``mode``.

    Each ``ARG NAME=IMAGE`` whose default is a public image the offline kit builds gets
    that image online and the kit's build of it offline; ``ARG BASE_IMAGE`` with any
    other default, or none, gets the Python base. So apps/hello's ``BASE_IMAGE`` and
    apps/spring-hello's ``BUILD_IMAGE`` and ``RUN_IMAGE`` switch with the one mode.

    Twin: the ``--build-arg NAME=IMAGE`` flags of ``docker build``

    >>> import tempfile; d = Path(tempfile.mkdtemp()) / "Dockerfile"
    >>> _ = d.write_text("ARG RUN_IMAGE=eclipse-temurin:17-jre\\nARG BASE_IMAGE\\nARG N=3\\nFROM ${RUN_IMAGE}\\n")
    >>> base_args(d, config.Mode(offline=False))
    {'RUN_IMAGE': 'eclipse-temurin:17-jre', 'BASE_IMAGE': 'python:3.11-slim-bookworm'}
    >>> base_args(d, config.Mode(offline=True))["RUN_IMAGE"].startswith(config.KIT_REPO + "/bookworm-jre17:")
    True
    """
    mode = mode or config.detect_mode()
    args = {}
    for line in Path(dockerfile).read_text(errors="replace").splitlines():
        match = _ARG.match(line)
        if not match:
            continue
        name, default = match.group(1), (match.group(2) or "").strip("\"'")
        if default in config.PUBLIC_TO_KIT:
            args[name] = mode.image(default)
        elif name == "BASE_IMAGE":
            args[name] = mode.image(PYTHON_BASE)
    return args


def _refuse_buildkit_only(dockerfile: Path) -> None:
    lines = dockerfile.read_text(errors="replace").splitlines()
    for number, line in enumerate(lines, 1):
        match = _BUILDKIT_ONLY.match(line) or _HEREDOC.match(line)
        if match:
            feature = match.group(1).strip()
            if feature.startswith("<<"):
                what = _("{file}:{line} needs BuildKit: a heredoc ({feature})")
            else:
                what = _("{file}:{line} needs BuildKit: the {feature} option")
            raise BuildFailed(what.format(file=dockerfile.name, line=number, feature=feature),
                              state=line.strip()[:160],
                              hint=_("the lab builds with the classic builder (`DOCKER_BUILDKIT=0 docker build`): "
                                     "write that step without it (a COPY of the files, then one RUN line)"))


def _build_hint(detail: str) -> str:
    if "requires BuildKit" in detail:
        return _("the Dockerfile uses a BuildKit-only feature: the lab's classic builder cannot build it; "
                 "rewrite that line")
    if "pull access denied" in detail or "not found" in detail and "manifest" in detail:
        return _("the base image could not be pulled: online, check the FROM line and your network; "
                 "offline, build the kit first (offline-kit/build.sh) and pass --offline")
    if "COPY failed" in detail or "no such file" in detail.lower():
        return _("a COPY names a file that is not in the build context (the repo root): check its path")
    return _("read the last build lines above; fix the Dockerfile line they name")


def layers(image: str) -> list[dict]:
    """The image's layers, newest first: the instruction that made each and its size in bytes.

    Twin: ``docker history IMAGE``
    """
    out = []
    for entry in client().images.get(image).history():
        created_by = entry.get("CreatedBy", "").replace("/bin/sh -c #(nop) ", "").replace("/bin/sh -c ", "RUN ")
        out.append({"created_by": created_by.strip(), "size": entry.get("Size", 0), "id": entry.get("Id", "")})
    return out


def size(image: str) -> int:
    """The image's size in bytes. Twin: ``docker image inspect -f '{{.Size}}' IMAGE``"""
    return client().images.get(image).attrs["Size"]


def exists(image: str) -> bool:
    try:
        client().images.get(image)
        return True
    except ImageNotFound:
        return False


def tag(image: str, new_tag: str) -> None:
    """Give ``image`` another name. Twin: ``docker tag IMAGE NEW_TAG``"""
    repo, _sep, version = new_tag.rpartition(":")
    if not repo or "/" in version:
        repo, version = new_tag, "latest"
    client().images.get(image).tag(repo, version)


def push(image: str, *, echo: bool = True) -> str:
    """Push to the registry the image name points at; returns the pushed digest.

    Twin: ``docker push IMAGE``
    """
    repo, _sep, version = image.rpartition(":")
    bar = Progress(_("push {image}").format(image=image), echo=echo)
    digest = ""
    layers_done: set[str] = set()
    layer_ids: set[str] = set()
    try:
        for chunk in client().api.push(repo, tag=version, stream=True, decode=True):
            if "error" in chunk:
                raise BuildFailed(_("docker push of {image} failed").format(image=image), state=chunk["error"],
                                  hint=_("is the local registry up? `labctl up` starts it at localhost:5001"))
            if "id" in chunk:
                layer_ids.add(chunk["id"])
                if chunk.get("status") in ("Pushed", "Layer already exists", "Mounted from"):
                    layers_done.add(chunk["id"])
                bar.update(len(layers_done), chunk.get("status", ""), total=len(layer_ids))
            aux = chunk.get("aux") or {}
            if "Digest" in aux:
                digest = aux["Digest"]
    except APIError as err:
        raise BuildFailed(_("docker push of {image} failed").format(image=image), state=str(err),
                          hint=_("is the local registry up? `labctl up` starts it at localhost:5001")) from None
    finally:
        bar.close()
    if not digest:
        raise BuildFailed(_("docker push of {image} reported no digest").format(image=image),
                          hint=_("retry; check `docker logs kubelab-registry`"))
    return digest


def human(n: float) -> str:
    """Bytes as text.

    >>> human(1536)
    '1.5 KB'
    """
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
