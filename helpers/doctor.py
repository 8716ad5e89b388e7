"""Preflight checks: one ``[OK]``/``[FAIL]`` line per prerequisite, each FAIL with its fix."""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass
from pathlib import Path

from . import config
from .checks import CheckResult
from .errors import LabError
from .i18n import _
from .ports import DOCKER_UNKNOWN, port_owner
from .shell import run

MIN_DOCKER_API = (1, 41)
MIN_MEMORY = 4 * 1024**3


@dataclass
class Check(CheckResult):
    """One prerequisite, shown ``[OK]``/``[FAIL]``; a FAIL carries its fix."""

    ok_word: str = "OK"

    def line(self) -> str:
        return str(self)


def _docker_checks() -> list[Check]:
    checks = []
    host = os.environ.get("DOCKER_HOST", _("unix:///var/run/docker.sock (default)"))
    try:
        from .docker_client import client  # noqa: PLC0415

        c = client()
        ver = c.version()
        api = tuple(int(x) for x in ver.get("ApiVersion", "0.0").split(".")[:2])
        checks.append(Check(_("Docker daemon"), api >= MIN_DOCKER_API,
                            _("engine {version}, API {api}").format(version=ver.get("Version"), api=ver.get("ApiVersion")),
                            _("update Docker to 20.10 or newer")))
        checks.append(Check(_("Docker socket"), True, host))
        inf = c.info()
        mem = inf.get("MemTotal", 0)
        checks.append(Check(_("memory Docker may use"), mem >= MIN_MEMORY, f"{mem / 1024**3:.1f} GiB",
                            _("give Docker at least 4 GiB (Docker Desktop: Settings > Resources)")))
        driver_status = str(inf.get("DriverStatus") or "")
        containerd_store = "io.containerd.snapshotter" in driver_status
        checks.append(Check(_("image store"), not containerd_store,
                            _("containerd image store") if containerd_store
                            else _("{driver} (classic)").format(driver=inf.get("Driver")),
                            _("turn off 'Use containerd for pulling and storing images' in Docker Desktop: "
                              "it breaks `kind load`")))
    except LabError as err:
        checks.append(Check(_("Docker daemon"), False, err.what, err.hint))
        checks.append(Check(_("Docker socket"), False, host,
                            _("macOS: export DOCKER_HOST=unix://$HOME/.docker/run/docker.sock")))
    return checks


def platform_check(system: str, release: str = "", proc_version: str = "", docker_os: str = "",
                   docker_host: str = "", desktop_socket: bool = False) -> Check:
    """Which of the supported set-ups this is, and the fix where it is not one.

    Args:
        system: ``platform.system()``; release: ``platform.release()``;
        proc_version: the text of ``/proc/version`` (Linux); docker_os: the engine's
        ``OperatingSystem`` (``docker info``), empty when Docker does not answer;
        docker_host: ``$DOCKER_HOST``; desktop_socket: ``~/.docker/run/docker.sock`` exists.

    >>> platform_check("Linux", "6.6.87.2-microsoft-standard-WSL2", docker_os="Docker Desktop").seen
    'Windows, WSL2 (Linux 6.6.87.2-microsoft-standard-WSL2), Docker Desktop'
    >>> platform_check("Windows").ok
    False
    """
    name = _("platform")
    wsl = "microsoft" in (release + proc_version).lower()
    desktop = "docker desktop" in docker_os.lower()
    engine = "Docker Desktop" if desktop else (docker_os or _("Docker not answering"))
    if system == "Windows":
        return Check(name, False, _("Windows (native)"),
                     _("run kubelab inside WSL2: `wsl --install -d Ubuntu`, then clone the repository in the Ubuntu "
                       "home folder and run ./lab.sh there (see the README: Windows)"))
    if system == "Linux" and wsl:
        if "wsl2" not in release.lower() and "microsoft-standard" not in release.lower():
            return Check(name, False, f"Windows, WSL1 (Linux {release})",
                         _("WSL1 cannot run Docker: in PowerShell `wsl --set-version <distro> 2`"))
        ok = bool(docker_os)
        return Check(name, ok, f"Windows, WSL2 (Linux {release}), {engine}",
                     _("start Docker Desktop and turn on Settings > Resources > WSL integration for this distro"))
    if system == "Darwin":
        if not docker_os and desktop_socket and not docker_host:
            return Check(name, False, _("macOS {release}, Docker Desktop's socket not used").format(release=release),
                         _("export DOCKER_HOST=unix://$HOME/.docker/run/docker.sock "
                           "(or `docker context use desktop-linux`)"))
        return Check(name, bool(docker_os), f"macOS {release}, {engine}",
                     _("install and start Docker Desktop; give it 4 GiB or more (Settings > Resources)"))
    if system == "Linux":
        return Check(name, True, f"Linux {release}, {engine}")
    return Check(name, False, system, _("kubelab runs on Linux, macOS (Docker Desktop) and Windows (WSL2)"))


def _platform() -> Check:
    proc_version = ""
    try:
        proc_version = Path("/proc/version").read_text()
    except OSError:
        pass
    docker_os = ""
    try:
        from .docker_client import client  # noqa: PLC0415

        docker_os = client().info().get("OperatingSystem", "")
    except LabError:
        pass
    return platform_check(platform.system(), platform.release(), proc_version, docker_os,
                          os.environ.get("DOCKER_HOST", ""), (Path.home() / ".docker/run/docker.sock").exists())


def _tool_check(tool: str) -> Check:
    from . import tools  # noqa: PLC0415

    path = config.tool_path(tool)
    try:
        pinned = tools.pin_for(tool).version
    except LabError:
        pinned = config.KIT["KIND_VERSION"] if tool == "kind" else config.KIT["K8S_VERSION"]
    version = tools.version_of(path) if path else None
    ok = tools.fits(tool, version, pinned)
    detail = f"v{version} ({path})" if path else _("not found")
    want = f"v{'.'.join(pinned.split('.')[:2])}.x"
    return Check(tool, ok, detail if ok or not path else _("{found}; the lab needs {wanted}").format(found=detail, wanted=want),
                 _("`labctl tools` (./lab.sh does it) installs {tool} {wanted} into {folder} without "
                   "admin rights; put that folder first on PATH").format(tool=tool, wanted=want, folder=tools.user_bin()))


def run_checks(require_cluster: bool = False) -> list[Check]:
    """All checks, in the order a learner should fix them.

    Args:
        require_cluster: also demand that the lab cluster exists and answers.
    """
    checks = [_platform(), *_docker_checks()]
    arch = platform.machine()
    checks.append(Check(_("CPU architecture"), arch in ("x86_64", "amd64", "arm64", "aarch64"), arch,
                        _("kind node images exist for amd64 and arm64 only")))
    kind = _tool_check("kind")
    kubectl = _tool_check("kubectl")
    checks += [kind, kubectl]
    kind_path = config.tool_path("kind") if kind.ok else None
    kc_match = re.search(r"v(\d+\.\d+\.\d+)", kubectl.seen)
    kc_ver = kc_match.group(1) if kc_match else "?"
    ours = f"{config.CLUSTER_NAME}-control-plane"
    for port, who in ((config.INGRESS_HTTP_PORT, ours), (config.REGISTRY_PORT, config.REGISTRY_NAME)):
        owner = port_owner(port)
        free = not owner or who in owner
        checks.append(Check(_("port {port}").format(port=port), free, _("free") if not owner else owner,
                            _("start Docker first, then run `labctl doctor` again") if _(DOCKER_UNKNOWN) in owner
                            else _("stop what holds port {port}; the lab needs it").format(port=port)))
    cluster_names: list[str] = []
    if kind_path:
        cluster_names = run(["kind", "get", "clusters"], check=False).stdout.split()
        others = [n for n in cluster_names if n != config.CLUSTER_NAME]
        checks.append(Check(_("leftover kind clusters"), not others, ", ".join(others) or _("none"),
                            " ; ".join(f"kind delete cluster --name {n}" for n in others)))
    if require_cluster or config.CLUSTER_NAME in cluster_names:
        checks.append(_cluster_check(kc_ver))
    return checks


def _cluster_check(kubectl_version: str) -> Check:
    try:
        from . import cluster  # noqa: PLC0415

        server = cluster.k8s_version().lstrip("v")
        skew = abs(int(server.split(".")[1]) - int(kubectl_version.split(".")[1])) if kubectl_version != "?" else 0
        ok = skew <= 1
        seen = f"{config.KIND_CONTEXT}, Kubernetes v{server}"
        if not ok:
            seen = _("{seen}; kubectl v{version} is {skew} minor versions away").format(
                seen=seen, version=kubectl_version, skew=skew)
        return Check(_("cluster reachable"), ok, seen, _("use a kubectl within one minor version of the server"))
    except Exception as err:  # noqa: BLE001 - any failure here means 'not reachable'
        what = err.what if isinstance(err, LabError) else str(err)[:200]
        return Check(_("cluster reachable"), False, what, _("run `labctl up` (add --offline without internet)"))


def report(checks: list[Check]) -> str:
    return "\n".join(c.line() for c in checks)


def doctor(require_cluster: bool = False, echo: bool = True) -> list[Check]:
    """Run and print the checks; returns them (any ``not ok`` is a FAIL).

    Example: ``checks = doctor()`` prints one ``[OK]``/``[FAIL]`` line per check.
    """
    checks = run_checks(require_cluster)
    if echo:
        print(report(checks))
    return checks
