"""Offline kit and cluster figures: kit build time (warm, or cold with --cold),
node image size, `kind create cluster` time with the kit's node image, and the
cluster's memory after boot. Prints figures; asserts nothing.

    python benchmarks/kit.py [--cold]

--cold deletes the kit cache and Go's build cache first (about 15 minutes).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers import cluster, config  # noqa: E402
from helpers.docker_client import client  # noqa: E402
from helpers.images import human  # noqa: E402
from helpers.shell import tool  # noqa: E402

BENCH_CLUSTER = "kubelab-bench"


def timed(cmd: list[str]) -> float:
    started = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cold", action="store_true")
    args = parser.parse_args()
    if args.cold:
        shutil.rmtree(config.CACHE_DIR / "kit", ignore_errors=True)
        subprocess.run(["go", "clean", "-cache"], check=True)
    build = timed(["bash", str(config.KIT_DIR / "build.sh")])
    print(f"kit build ({'cold' if args.cold else 'warm'}): {build:.1f} s")

    node_image = config.PUBLIC_TO_KIT[config.NODE_IMAGE_ONLINE]
    print(f"node image {node_image}: {human(client().images.get(node_image).attrs['Size'])}")

    # A second cluster without host ports, so the lab cluster keeps running: the
    # lab's own kind config (kind's network off) plus its pod network, kube-router.
    mode = config.Mode(offline=True)
    cfg = cluster.kind_config(mode)
    cfg["name"] = BENCH_CLUSTER
    cfg["nodes"][0].pop("extraPortMappings", None)
    kind = tool("kind")
    subprocess.run([kind, "delete", "cluster", "--name", BENCH_CLUSTER], check=False, capture_output=True)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        yaml.safe_dump(cfg, f)
        f.flush()
        kubeconfig = f.name + ".kubeconfig"
        started = time.monotonic()
        subprocess.run([kind, "create", "cluster", "--name", BENCH_CLUSTER, "--config", f.name, "--image", node_image,
                        "--wait", "0s", "--kubeconfig", kubeconfig], check=True, capture_output=True)
        network = yaml.safe_dump_all(cluster.system_docs(mode)["kube-router.yaml"])
        kubectl = [tool("kubectl"), "--kubeconfig", kubeconfig]
        subprocess.run([*kubectl, "apply", "-f", "-"], input=network, text=True, check=True, capture_output=True)
        subprocess.run([*kubectl, "wait", "--for=condition=Ready", "node", "--all", "--timeout=5m"],
                       check=True, capture_output=True)
        create = time.monotonic() - started
    print(f"kind create cluster + pod network (node Ready): {create:.1f} s")
    time.sleep(20)  # let the system pods settle before reading memory
    node = client().containers.get(f"{BENCH_CLUSTER}-control-plane")
    stats = node.stats(stream=False)
    mem = stats["memory_stats"].get("usage", 0) - stats["memory_stats"].get("stats", {}).get("cache", 0)
    print(f"cluster memory after boot (one node, without page cache): {human(mem)}")
    subprocess.run([kind, "delete", "cluster", "--name", BENCH_CLUSTER], check=True, capture_output=True)


if __name__ == "__main__":
    main()
