"""Pipeline figures: first deploy and redeploy through helpers.pipeline, and the
same steps typed by hand (docker build/push, kubectl apply, rollout status, curl)
in the same run, with the ratio. Redeploys alternate (pipeline, by hand) for
``--rounds`` rounds; the ratio is of the medians, because one rollout's time varies
by a readiness-probe period (2 s) per pod. Prints figures; asserts nothing.

    python benchmarks/pipeline.py [--rounds 3]     (needs `labctl up`)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers import config, kube, lessons, pipeline  # noqa: E402
from helpers.shell import tool  # noqa: E402

NAMESPACE = "bench-pipeline"
HOST = "bench.localhost"
def sh(*args: str) -> str:
    return subprocess.run(list(args), check=True, capture_output=True, text=True).stdout


def new_version(repo: Path, version: str) -> None:
    (repo / "VERSION").write_text(version + "\n")
    lessons.git(repo, "commit", "-qam", version)


def by_hand(repo: Path, version: str) -> tuple[float, float]:
    """What a learner types, step by step, for the same update; (total, rollout status) seconds."""
    started = time.monotonic()
    tag = lessons.git(repo, "rev-parse", "--short=10", "HEAD").strip()
    image = f"{config.REGISTRY_HOST}/hello:{tag}"
    mode = config.detect_mode()
    sh("docker", "build", "-q", "--build-arg", f"BASE_IMAGE={mode.image('python:3.11-slim-bookworm')}", "-t", image, str(repo))
    sh("docker", "push", "-q", image)
    out = repo.parent / "rendered"
    out.mkdir(exist_ok=True)
    for f in (repo / "k8s").glob("*.yaml"):
        (out / f.name).write_text(f.read_text().replace("image: IMAGE", f"image: {image}"))
    kubectl = [tool("kubectl"), "--context", config.KIND_CONTEXT, "-n", NAMESPACE]
    sh(*kubectl, "apply", "-f", str(out))
    rollout_started = time.monotonic()
    sh(*kubectl, "rollout", "status", "deployment/hello", "--timeout=180s")
    rollout = time.monotonic() - rollout_started
    while f"version={version}" not in subprocess.run(
            ["curl", "-s", "--resolve", f"{HOST}:80:127.0.0.1", f"http://{HOST}/"], capture_output=True,
            text=True).stdout:
        time.sleep(0.2)
    return time.monotonic() - started, rollout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="redeploys each way (default 3)")
    rounds = parser.parse_args().rounds
    kube.delete_namespace(NAMESPACE)
    with tempfile.TemporaryDirectory() as tmp:
        repo = lessons.learner_repo(tmp)
        ing = repo / "k8s" / "ingress.yaml"
        ing.write_text(ing.read_text().replace("hello.localhost", HOST))
        lessons.git(repo, "commit", "-qam", f"serve at {HOST}")
        first = pipeline.run(repo, namespace=NAMESPACE, echo=False)
        print(f"first deploy (helpers.pipeline): {first.seconds:.1f} s")
        for s in first.steps:
            print(f"    {s.line()}")
        piped, hand, piped_rollout, hand_rollout = [], [], [], []
        for n in range(rounds):
            new_version(repo, f"v{2 * n + 2}")
            second = pipeline.run(repo, namespace=NAMESPACE, echo=False)
            piped.append(second.seconds)
            piped_rollout.append(second.steps[5].seconds)
            print(f"redeploy after a commit (helpers.pipeline): {second.seconds:.1f} s")
            for s in second.steps:
                print(f"    {s.line()}")
            new_version(repo, f"v{2 * n + 3}")
            total, rollout = by_hand(repo, f"v{2 * n + 3}")
            hand.append(total)
            hand_rollout.append(rollout)
            print(f"the same redeploy typed by hand (docker build/push, kubectl apply, rollout status, curl): "
                  f"{total:.1f} s (rollout status {rollout:.1f} s)")
        print(f"median redeploy: pipeline {statistics.median(piped):.1f} s, by hand {statistics.median(hand):.1f} s; "
              f"step 6 (apply + rollout) {statistics.median(piped_rollout):.1f} s against "
              f"`kubectl rollout status` {statistics.median(hand_rollout):.1f} s")
        print(f"ratio pipeline/by hand: {statistics.median(piped) / statistics.median(hand):.2f}")
    kube.delete_namespace(NAMESPACE, wait=False)


if __name__ == "__main__":
    main()
