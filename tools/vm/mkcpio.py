"""Write a folder as a newc cpio archive (the format the kernel unpacks as an
initramfs) to stdout, owned by root, plus a /dev/console node for the guest's
first process. Python's standard library instead of the cpio package."""

import os
import stat
import sys
from pathlib import Path

_ino = iter(range(1, 1 << 30))


def entry(name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> bytes:
    encoded = name.encode() + b"\0"
    fields = [next(_ino), mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0]
    head = b"070701" + b"".join(f"{v:08x}".encode() for v in fields) + encoded
    head += b"\0" * (-len(head) % 4)
    return head + data + b"\0" * (-len(data) % 4)


def main(root: Path) -> None:
    out = sys.stdout.buffer
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        st = path.lstat()
        if path.is_symlink():
            out.write(entry(name, st.st_mode, os.readlink(path).encode()))
        elif path.is_dir():
            out.write(entry(name, st.st_mode))
        else:
            out.write(entry(name, st.st_mode, path.read_bytes()))
    out.write(entry("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1)))
    out.write(entry("TRAILER!!!", 0))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
