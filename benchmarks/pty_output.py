"""How often a notebook's ``!command`` loses its output, with pexpect's spawn (what IPython
uses) and with helpers.pty_output's: runs the same short command RUNS times through each,
read as IPython reads it, while BUSY processes keep the CPU busy, and prints how many
runs came back without the command's output. Prints figures; asserts nothing.

    python benchmarks/pty_output.py [--runs 1000] [--busy 4] [--command "kubectl get ns default -o name"]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pexpect  # noqa: E402

from helpers.pty_output import _draining_spawn  # noqa: E402


def _busy() -> None:
    while True:
        pass


def lost(spawn, command: str, expect: bytes, runs: int) -> tuple[int, float]:
    """Runs without ``expect`` in their output, read in IPython's loop (0.05 s reads to EOF)."""
    missing, start = 0, time.monotonic()
    for _ in range(runs):
        child = spawn("/bin/sh", args=["-c", command])
        out, seen = b"", 0
        while True:
            index = child.expect_list([pexpect.TIMEOUT, pexpect.EOF], 0.05)
            out += child.before[seen:]
            if index == 1:
                break
            seen = len(child.before)
        child.isalive()
        missing += expect not in out
    return missing, time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--busy", type=int, default=4, help="CPU-bound processes beside the runs")
    parser.add_argument("--command", default="kubectl get ns default -o name")
    parser.add_argument("--expect", default="namespace/default", help="text the command always prints")
    args = parser.parse_args()
    hogs = [multiprocessing.Process(target=_busy, daemon=True) for _ in range(args.busy)]
    for hog in hogs:
        hog.start()
    try:
        for name, spawn in (("pexpect.spawn", pexpect.spawn), ("pty_output's spawn", _draining_spawn())):
            missing, seconds = lost(spawn, args.command, args.expect.encode(), args.runs)
            print(f"{name:20} {missing:4d} of {args.runs} runs without output ({seconds:.0f} s, "
                  f"{args.busy} busy processes)", flush=True)
    finally:
        for hog in hogs:
            hog.terminate()


if __name__ == "__main__":
    main()
