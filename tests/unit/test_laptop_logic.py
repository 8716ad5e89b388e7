"""The learner's-laptop logic that needs no Docker: tool pins, platforms, port reading."""

from __future__ import annotations

import socket

import pytest

from helpers import config, doctor, lock, ports, tools


def test_pins_cover_every_platform_and_match_the_kit():
    pins = tools.pins()
    for tool in tools.TOOLS:
        for plat in ("linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64"):
            assert (tool, plat) in pins, f"tools/checksums.txt lacks {tool} for {plat}"
    assert {p.version for (t, _), p in pins.items() if t == "kind"} == {config.KIT["KIND_VERSION"]}
    # kubectl of the cluster's minor version (kubectl supports one minor of skew; the lab keeps none)
    k8s_minor = config.KIT["K8S_VERSION"].split(".")[:2]
    assert {tuple(p.version.split(".")[:2]) for (t, _), p in pins.items() if t == "kubectl"} == {tuple(k8s_minor)}


def test_a_malformed_checksum_line_is_an_error(tmp_path):
    bad = tmp_path / "checksums.txt"
    bad.write_text("kind 0.33.0 linux/amd64 not-a-hash\n")
    with pytest.raises(tools.ToolError, match="is not `tool version os/arch sha256`"):
        tools.pins(bad)


def test_download_urls_official_and_overridden(monkeypatch):
    pin = tools.pins()[("kind", "darwin/arm64")]
    monkeypatch.delenv("KUBELAB_DOWNLOAD_BASE", raising=False)
    assert tools.download_url(pin) == ("https://github.com/kubernetes-sigs/kind/releases/download/"
                                       "v0.33.0/kind-darwin-arm64")
    monkeypatch.setenv("KUBELAB_DOWNLOAD_BASE", "http://127.0.0.1:9/")
    assert tools.download_url(pin) == "http://127.0.0.1:9/kind-0.33.0-darwin-arm64"


@pytest.mark.parametrize("system,machine,key", [
    ("Linux", "x86_64", "linux/amd64"), ("Linux", "aarch64", "linux/arm64"),
    ("Darwin", "x86_64", "darwin/amd64"), ("Darwin", "arm64", "darwin/arm64")])
def test_platform_keys(system, machine, key):
    assert tools.platform_key(system, machine) == key


def test_unknown_platforms_name_the_fix():
    with pytest.raises(tools.ToolError, match=r"no kind/kubectl release for this platform \(linux/riscv64\)"):
        tools.platform_key("Linux", "riscv64")
    with pytest.raises(tools.ToolError) as err:
        tools.platform_key("Windows", "AMD64")
    assert "WSL2" in err.value.hint


def test_an_unknown_platform_installs_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBELAB_TOOLS_BIN", str(tmp_path))
    monkeypatch.setattr(tools.platform, "machine", lambda: "riscv64")
    with pytest.raises(tools.ToolError):
        tools.install("kind", offline=False, echo=False)
    assert list(tmp_path.iterdir()) == []


def test_user_bin_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("KUBELAB_TOOLS_BIN", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert tools.user_bin() == tmp_path / "kubelab" / "bin"
    monkeypatch.setenv("KUBELAB_TOOLS_BIN", "/opt/x")
    assert str(tools.user_bin()) == "/opt/x"


def test_the_lab_lock_is_per_user_unless_moved(monkeypatch, tmp_path):
    monkeypatch.delenv("KUBELAB_LOCK_DIR", raising=False)
    monkeypatch.setenv("KUBELAB_TOOLS_BIN", str(tmp_path / "bin"))
    assert lock.lock_path() == tmp_path / "locks" / f"{config.CLUSTER_NAME}.lock"
    monkeypatch.setenv("KUBELAB_LOCK_DIR", str(tmp_path / "gw1"))
    with lock.exclusive("a test", echo=False):
        assert lock.holder()["command"] == "a test"
        assert (tmp_path / "gw1" / f"{config.CLUSTER_NAME}.holder").exists()


@pytest.mark.parametrize("args,ok,seen,fix", [
    (dict(system="Linux", release="6.1.0-28-amd64", docker_os="Debian GNU/Linux 12 (bookworm)"), True,
     "Linux 6.1.0-28-amd64, Debian GNU/Linux 12 (bookworm)", ""),
    (dict(system="Linux", release="5.15.167.4-microsoft-standard-WSL2", docker_os="Docker Desktop"), True,
     "Windows, WSL2", ""),
    (dict(system="Linux", release="5.15.167.4-microsoft-standard-WSL2"), False, "Windows, WSL2",
     "WSL integration"),
    (dict(system="Linux", release="4.4.0-19041-Microsoft", proc_version="Linux version 4.4.0-19041-Microsoft"),
     False, "WSL1", "wsl --set-version"),
    (dict(system="Windows", release="10"), False, "Windows (native)", "wsl --install"),
    (dict(system="Darwin", release="24.6.0", docker_os="Docker Desktop"), True, "macOS 24.6.0, Docker Desktop", ""),
    (dict(system="Darwin", release="24.6.0", desktop_socket=True), False, "socket not used",
     "DOCKER_HOST=unix://$HOME/.docker/run/docker.sock"),
    (dict(system="Darwin", release="24.6.0"), False, "Docker not answering", "4 GiB"),
])
def test_platform_detection_names_the_fix(args, ok, seen, fix):
    check = doctor.platform_check(**args)
    assert check.ok is ok
    assert seen in check.seen
    assert fix in check.fix


def test_a_listening_socket_is_seen_without_binding_its_port():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]
        assert ports.port_free(port), "bound but not listening is not 'taken'"
        server.listen()
        assert not ports.port_free(port)
        assert port in ports.listening_ports()
    assert ports.port_free(port)
