"""The Korean edition of the course, written from the English notebooks.

Each English notebook has a paired file ``i18n/ko/<notebook>.yaml`` that holds, for each
prose (markdown) cell by its cell id, the English it was translated from (``en``) and the
Korean (``ko``). Code cells are shared: a Korean notebook is its English notebook with the
prose replaced, saved beside it as ``NAME.ko.ipynb`` so that every relative path in a code
cell (``../k8s/...``, ``work/NAME/...``) works unchanged. A lab's student notebook and its
instructor notebook share one paired file (the student copy is made from the instructor's).

    python -m helpers.edition sync [NAME...]   # add new prose cells to the paired files, mark changed ones
    python -m helpers.edition build [NAME...]  # write the .ko.ipynb notebooks
    python -m helpers.edition check [NAME...]  # what is missing or stale (tests/unit/test_edition.py)

NAME picks sources by part of a path (``03-``, ``labs/pods``); none means all.

A cell whose English changed after its Korean was written gets ``review: true`` and its old
English under ``was``; the check fails until a translator updates ``ko`` and removes both.
"""

from __future__ import annotations

import copy
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import config

ROOT = config.REPO_ROOT
PAIRS = ROOT / "i18n" / "ko"
SUFFIX = ".ko.ipynb"


@dataclass(frozen=True)
class Source:
    """One paired file and the English notebooks it translates."""

    pair: Path
    notebooks: tuple[Path, ...]  # the first is the one whose cells the pair follows

    def korean(self, english: Path) -> Path:
        return english.with_name(english.name[: -len(".ipynb")] + SUFFIX)


def sources() -> list[Source]:
    out = []
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        if not nb.name.endswith(SUFFIX):
            out.append(Source(PAIRS / "notebooks" / f"{nb.stem}.yaml", (nb,)))
    for instructor in sorted((ROOT / "labs").glob("*/instructor.ipynb")):
        name = instructor.parent.name
        student = ROOT / "labs" / f"{name}.ipynb"
        out.append(Source(PAIRS / "labs" / f"{name}.yaml", (instructor, student)))
    return out


def _rel(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _read(path: Path) -> dict:
    return json.loads(path.read_text())


def _text(cell: dict) -> str:
    return "".join(cell["source"])


def prose(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "markdown"]


def load_pair(path: Path) -> dict[str, dict]:
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text()) or {}
    return {str(e["id"]): e for e in data.get("cells", [])}


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def save_pair(src: Source, entries: list[dict]) -> None:
    head = (
        f"# Korean for {_rel(src.notebooks[0])}"
        + (f" (and {_rel(src.notebooks[1])})" if len(src.notebooks) > 1 else "")
        + ": each prose cell's English (en) and Korean (ko), by cell id.\n"
        "# python -m helpers.edition build writes the .ko.ipynb notebooks from it.\n"
    )
    body = yaml.dump({"cells": entries}, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    src.pair.parent.mkdir(parents=True, exist_ok=True)
    src.pair.write_text(head + body)


def sync(src: Source) -> list[str]:
    """Bring the paired file in line with the English notebook's prose cells: new cells
    are added with an empty ``ko``, cells gone are dropped, changed ones are marked for
    review. Returns what changed, one line each."""
    old = load_pair(src.pair)
    nb = _read(src.notebooks[0])
    entries, said = [], []
    for cell in prose(nb):
        en = _text(cell)
        entry = old.get(cell["id"])
        if entry is None:
            entries.append({"id": cell["id"], "en": en, "ko": ""})
            said.append(f"{_rel(src.pair)}: new cell {cell['id']}")
        elif entry["en"] != en:
            entries.append({**entry, "en": en, "was": entry.get("was", entry["en"]), "review": True})
            said.append(f"{_rel(src.pair)}: cell {cell['id']} changed, marked for review")
        else:
            entries.append(entry)
    gone = set(old) - {c["id"] for c in prose(nb)}
    said += [f"{_rel(src.pair)}: cell {i} is gone, dropped" for i in sorted(gone)]
    if said or not src.pair.is_file():
        save_pair(src, entries)
    return said


def problems(src: Source) -> list[str]:
    """Why this source's Korean is incomplete or stale; empty when it is neither."""
    name = _rel(src.pair)
    if not src.pair.is_file():
        return [f"{name}: missing (python -m helpers.edition sync writes it)"]
    pairs = load_pair(src.pair)
    out = []
    for nb_path in src.notebooks:
        for cell in prose(_read(nb_path)):
            entry = pairs.get(cell.get("id", ""))
            where = f"{name}, cell {cell.get('id')} of {_rel(nb_path)}"
            if entry is None:
                out.append(f"{where}: no Korean (python -m helpers.edition sync adds it)")
            elif entry.get("review"):
                out.append(f"{where}: English changed since the Korean was written (see `was`); "
                           "update ko, then remove was and review")
            elif entry["en"] != _text(cell):
                out.append(f"{where}: English changed since the Korean was written "
                           "(python -m helpers.edition sync marks it)")
            elif not str(entry.get("ko") or "").strip():
                out.append(f"{where}: ko is empty")
    return out


def your_turn(lab: str) -> tuple[str, str]:
    """A lab's 'your turn' note in a student copy's code cell: (English, Korean). It is the one
    comment in a shared code cell that the Korean edition translates."""
    from .i18n import gettext_in
    from .labs import YOUR_TURN

    return YOUR_TURN.format(name=lab), gettext_in("ko", YOUR_TURN).format(name=lab)


def korean_notebook(english: Path, pairs: dict[str, dict]) -> dict:
    """The English notebook with each prose cell's source replaced by its Korean (and, in a
    lab's student copy, the 'your turn' note in Korean)."""
    nb = copy.deepcopy(_read(english))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown" and cell.get("id") in pairs:
            cell["source"] = pairs[cell["id"]]["ko"].splitlines(keepends=True)
        elif "your-turn" in cell.get("metadata", {}).get("tags", []):
            en, ko = your_turn(english.stem)
            cell["source"] = "".join(cell["source"]).replace(en, ko).splitlines(keepends=True)
    nb["metadata"]["kubelab"] = {"edition": "ko", "from": english.name}
    return nb


def dumps(nb: dict) -> str:
    """A notebook's text as nbformat writes it."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def build(src: Source) -> list[Path]:
    pairs = load_pair(src.pair)
    written = []
    for english in src.notebooks:
        target = src.korean(english)
        text = dumps(korean_notebook(english, pairs))
        if not target.is_file() or target.read_text() != text:
            target.write_text(text)
            written.append(target)
    return written


def _chosen(names: list[str]) -> list[Source]:
    """The sources a command line names (a notebook, a lab or a paired file, in part), or all."""
    if not names:
        return sources()
    return [s for s in sources() if any(n in str(p) for n in names for p in (s.pair, *s.notebooks))]


def main(argv: list[str]) -> int:
    verb = argv[0] if argv else "check"
    chosen = _chosen(argv[1:])
    unknown = [n for n in argv[1:] if not _chosen([n])]
    if unknown:  # a typo must not pass as "nothing to do" (check would report success)
        print(f"ERROR: no notebook, lab or paired file matches {', '.join(unknown)} "
              "(NAME is part of a path: 03-, labs/pods, glossary)", file=sys.stderr)
        return 2
    if verb == "sync":
        for src in chosen:
            for line in sync(src):
                print(line)
        return 0
    if verb == "build":
        skipped = 0
        for src in chosen:
            bad = problems(src)
            if bad:
                print("\n".join(bad), file=sys.stderr)
                skipped += 1
                continue
            for path in build(src):
                print(_rel(path))
        if skipped:
            print(f"ERROR: {skipped} paired files lack current Korean: their notebooks were not written",
                  file=sys.stderr)
        return 1 if skipped else 0
    if verb == "check":
        bad = [p for src in chosen for p in problems(src)]
        print("\n".join(bad) if bad else "every prose cell has its current Korean")
        return 1 if bad else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
