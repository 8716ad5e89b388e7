"""Copies this image's Python interpreter, the shared libraries it and its
extension modules load, and its standard library (without tests and GUI parts)
into a folder, so the final image can start FROM scratch: no shell, no package
manager, a fraction of the size. Paths are kept as they are in the base image."""

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

SKIP = {"test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "pydoc_data", "unittest",
        "distutils", "venv", "config-3", "__pycache__", "site-packages", "dist-packages"}


def copy(src: Path, out: Path) -> None:
    dest = out / src.relative_to("/")
    dest.parent.mkdir(parents=True, exist_ok=True)
    if src.is_symlink():
        target = src.resolve()
        copy(target, out)
        if not dest.exists():
            dest.symlink_to(target)
    elif src.is_file() and not dest.exists():
        shutil.copy2(src, dest)


def libraries(binary: Path) -> set[Path]:
    found = set()
    for line in subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout.splitlines():
        parts = line.split()
        for p in parts:
            if p.startswith("/"):
                found.add(Path(p))
    return found


def main(out: Path) -> None:
    exe = Path(sys.executable).resolve()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    copy(exe, out)
    libs = libraries(exe)
    for path in stdlib.rglob("*"):
        if any(part in SKIP or part.startswith("config-3") for part in path.relative_to(stdlib).parts):
            continue
        if path.is_file():
            copy(path, out)
            if path.suffix == ".so":
                libs |= libraries(path)
    for lib in libs:
        copy(lib, out)
    (out / "bin").mkdir(exist_ok=True)
    (out / "bin" / "python").symlink_to(exe)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
