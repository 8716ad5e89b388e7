"""``kind`` and ``kubectl`` of the pinned versions, installed without admin rights.

A learner's laptop often has Docker and nothing else, or a kubectl several
minor versions away from the cluster. ``ensure()`` keeps a tool already on
``PATH`` when its version fits, and otherwise puts the pinned one into a
user-owned folder (``~/.cache/kubelab/bin``), which ``./lab.sh`` puts first on
``PATH``. Online the binaries come from the projects' official release
downloads and are made executable only when their SHA-256 equals the one in
``tools/checksums.txt``; offline they are copied from the offline kit.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import requests

from . import config
from .errors import LabError
from .i18n import _
from .progress import Progress

CHECKSUMS = config.REPO_ROOT / "tools" / "checksums.txt"
OFFICIAL_URLS = {
    "kind": "https://github.com/kubernetes-sigs/kind/releases/download/v{version}/kind-{os}-{arch}",
    "kubectl": "https://dl.k8s.io/release/v{version}/bin/{os}/{arch}/kubectl",
}
TOOLS = ("kind", "kubectl")


class ToolError(LabError):
    """A pinned tool could not be found, downloaded, verified or installed."""


def user_bin() -> Path:
    """The user-owned folder for pinned tools: ``$KUBELAB_TOOLS_BIN``, else ``~/.cache/kubelab/bin``."""
    explicit = os.environ.get("KUBELAB_TOOLS_BIN")
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "kubelab" / "bin"


def platform_key(system: str | None = None, machine: str | None = None) -> str:
    """The release downloads' ``os/arch`` for this machine.

    >>> platform_key("Linux", "x86_64"), platform_key("Darwin", "arm64"), platform_key("Linux", "aarch64")
    ('linux/amd64', 'darwin/arm64', 'linux/arm64')
    """
    system = (system or platform.system()).lower()
    machine = (machine or platform.machine()).lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "arm64": "arm64", "aarch64": "arm64"}.get(machine)
    if system not in ("linux", "darwin") or arch is None:
        hint = (_("on Windows, run ./lab.sh inside WSL2 (see the README)")
                if system.startswith(("windows", "cygwin", "msys", "mingw"))
                else _("kind and kubectl are published for Linux and macOS on amd64 and arm64; "
                       "install them yourself and put them on PATH"))
        raise ToolError(_("no kind/kubectl release for this platform ({system}/{machine})")
                        .format(system=system, machine=machine), hint=hint)
    return f"{system}/{arch}"


@dataclass(frozen=True)
class Pin:
    """One line of ``tools/checksums.txt``."""

    tool: str
    version: str
    platform: str
    sha256: str


def pins(path: str | Path | None = None) -> dict[tuple[str, str], Pin]:
    """The pinned version and SHA-256 per (tool, os/arch); ``$KUBELAB_TOOLS_CHECKSUMS`` replaces the file."""
    path = Path(path or os.environ.get("KUBELAB_TOOLS_CHECKSUMS") or CHECKSUMS)
    out = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) != 4 or not re.fullmatch(r"[0-9a-f]{64}", fields[3]):
            raise ToolError(_("{path}:{number} is not `tool version os/arch sha256`").format(path=path, number=number),
                            state=line, hint=_("restore tools/checksums.txt from git"))
        pin = Pin(*fields)
        out[(pin.tool, pin.platform)] = pin
    return out


def pin_for(tool: str) -> Pin:
    """What ``tools/checksums.txt`` pins for ``tool`` on this machine's platform."""
    pin = pins().get((tool, platform_key()))
    if pin is None:
        raise ToolError(_("tools/checksums.txt has no {tool} for {platform}").format(tool=tool, platform=platform_key()),
                        hint=_("restore tools/checksums.txt from git, or install it yourself and put it on PATH"))
    return pin


def download_url(pin: Pin) -> str:
    """Where ``pin`` is downloaded from: the official release, or ``$KUBELAB_DOWNLOAD_BASE/TOOL-VERSION-OS-ARCH``.

    >>> download_url(Pin("kubectl", "1.34.4", "linux/amd64", "0" * 64))
    'https://dl.k8s.io/release/v1.34.4/bin/linux/amd64/kubectl'
    """
    os_name, arch = pin.platform.split("/")
    base = os.environ.get("KUBELAB_DOWNLOAD_BASE")
    if base:
        return f"{base.rstrip('/')}/{pin.tool}-{pin.version}-{os_name}-{arch}"
    return OFFICIAL_URLS[pin.tool].format(version=pin.version, os=os_name, arch=arch)


def version_of(path: str | Path, tool: str | None = None) -> str | None:
    """The version a kind or kubectl binary reports (``0.33.0``, ``1.34.4``), or None when it does not run.

    ``tool`` names what the file is when its name does not (a download not yet renamed).
    """
    name = tool or Path(path).name
    args = [str(path), "version"] if name == "kind" else [str(path), "version", "--client", "-o", "json"]
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    if name == "kind":
        match = re.search(r"kind v(\d+\.\d+\.\d+)", proc.stdout)
        return match.group(1) if match else None
    try:
        return json.loads(proc.stdout)["clientVersion"]["gitVersion"].lstrip("v").split("-")[0]
    except (ValueError, KeyError):
        return None


def fits(tool: str, version: str | None, pinned: str) -> bool:
    """True when ``version`` serves: kind of the pinned minor; kubectl of the cluster's minor.

    >>> fits("kubectl", "1.34.11", "1.34.4"), fits("kubectl", "1.32.4", "1.34.4"), fits("kind", "0.33.0", "0.33.0")
    (True, False, True)
    """
    if not version:
        return False
    return version.split(".")[:2] == pinned.split(".")[:2]


def _candidates(tool: str) -> list[str]:
    found = [str(user_bin() / tool)]
    on_path = shutil.which(tool)
    if on_path:
        found.append(on_path)
    return [p for p in dict.fromkeys(found) if os.access(p, os.X_OK)]


def find(tool: str, pinned: str) -> tuple[str, str] | None:
    """A binary of ``tool`` that fits, as (path, version): the user folder first, then PATH."""
    for path in _candidates(tool):
        version = version_of(path)
        if fits(tool, version, pinned):
            return path, version
    return None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _download(url: str, into: Path, label: str, echo: bool) -> None:
    try:
        with requests.get(url, stream=True, timeout=(10, 60)) as resp:
            if resp.status_code != 200:
                raise ToolError(_("downloading {what} failed: HTTP {status}").format(what=label, status=resp.status_code),
                                state=url, hint=_("check the internet connection (or KUBELAB_DOWNLOAD_BASE), "
                                                  "then run ./lab.sh again"))
            total = int(resp.headers.get("Content-Length") or 0)
            bar = Progress(_("download {what}").format(what=label), total=total or None, echo=echo)
            done = 0
            with into.open("wb") as f:
                for block in resp.iter_content(1 << 20):
                    f.write(block)
                    done += len(block)
                    bar.update(done, f"{done / 1e6:.1f} MB")
            bar.close()
    except requests.RequestException as err:
        raise ToolError(_("downloading {what} failed").format(what=label), state=f"{url}\n{str(err)[:300]}",
                        hint=_("check the internet connection (or KUBELAB_DOWNLOAD_BASE), "
                               "then run ./lab.sh again")) from err


def install(tool: str, *, offline: bool, echo: bool = True) -> tuple[str, str]:
    """Put the pinned ``tool`` into :func:`user_bin`; returns (path, version).

    The file appears there only when complete and verified: it is written to a
    temporary name in the same folder and renamed at the end.
    """
    pin = pin_for(tool)
    dest_dir = user_bin()
    dest_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{tool}-", dir=dest_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if offline:
            source = config.CACHE_DIR / "kit" / "bin" / "current" / tool
            if not source.exists():
                raise ToolError(_("the offline kit has no {tool}").format(tool=tool), state=str(source),
                                hint=_("build the kit first: offline-kit/build.sh"))
            shutil.copyfile(source, tmp)
            how = _("from the offline kit")
        else:
            url = download_url(pin)
            _download(url, tmp, f"{tool} v{pin.version}", echo)
            got = _sha256(tmp)
            if got != pin.sha256:
                raise ToolError(_("the downloaded {tool} v{version} does not match its checksum; nothing was installed")
                                .format(tool=tool, version=pin.version),
                                state=f"{url}\nexpected sha256 {pin.sha256}\ngot      sha256 {got}",
                                hint=_("a proxy or a broken download changed the file: run ./lab.sh again; if it "
                                       "persists, download it yourself from the official release and compare"))
            how = _("downloaded, sha256 verified")
        tmp.chmod(0o755)
        version = version_of(tmp, tool)
        if not fits(tool, version, pin.version):
            raise ToolError(_("the installed {tool} reports version {version}, not {pinned}")
                            .format(tool=tool, version=repr(version), pinned=pin.version),
                            state=str(tmp), hint=_("rebuild the offline kit (offline-kit/build.sh --force)"))
        final = dest_dir / tool
        tmp.replace(final)
        if echo:
            print(f"✓ {tool} v{version} → {final} ({how})", flush=True)
        return str(final), version
    finally:
        tmp.unlink(missing_ok=True)


def ensure(*, offline: bool, echo: bool = True) -> dict[str, str]:
    """kind and kubectl that fit, installing the pinned ones where needed; returns their paths.

    Example: ``ensure(offline=False)`` prints one ``✓`` line per tool, with where it is.
    """
    paths = {}
    for tool in TOOLS:
        found = find(tool, pin_for(tool).version)
        if found:
            if echo:
                print(f"✓ {tool} v{found[1]} ({found[0]})", flush=True)
            paths[tool] = found[0]
        else:
            paths[tool] = install(tool, offline=offline, echo=echo)[0]
    return paths
