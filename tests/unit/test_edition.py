"""The Korean edition (helpers/edition.py), without a cluster: every prose cell of every
lesson, lab and the glossary has its current Korean; each committed .ko notebook is what
its paired file builds; its code cells and saved outputs are the English notebook's (so
nbval on the English notebooks covers them: the .ko notebooks are not run a second time);
glossary links resolve, and Korean prose links to Korean notebooks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import config, edition

ROOT = config.REPO_ROOT
SOURCES = edition.sources()
PAIRS = [(s, nb) for s in SOURCES for nb in s.notebooks]
LESSONS = [p for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")) if not p.name.endswith(edition.SUFFIX)]
GLOSSARY = ROOT / "notebooks" / "glossary.ipynb"
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _id(value):
    return str(value.relative_to(ROOT)) if isinstance(value, Path) else None


def _nb(path: Path) -> dict:
    return json.loads(path.read_text())


def _prose(nb: dict) -> str:
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


@pytest.mark.parametrize("src", SOURCES, ids=lambda s: _id(s.pair))
def test_every_prose_cell_has_its_current_korean(src):
    bad = edition.problems(src)
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("src,english", PAIRS, ids=lambda v: _id(v))
def test_korean_notebook_is_built_from_its_pair(src, english):
    korean = src.korean(english)
    assert korean.is_file(), f"{_id(korean)} is missing: python -m helpers.edition build"
    built = edition.dumps(edition.korean_notebook(english, edition.load_pair(src.pair)))
    assert korean.read_text() == built, (
        f"{_id(korean)} is not what {_id(src.pair)} and {_id(english)} build: python -m helpers.edition build")


@pytest.mark.parametrize("src,english", PAIRS, ids=lambda v: _id(v))
def test_korean_code_cells_and_outputs_are_the_english_ones(src, english):
    en, ko = _nb(english), _nb(src.korean(english))
    assert [c["cell_type"] for c in ko["cells"]] == [c["cell_type"] for c in en["cells"]]
    assert [c.get("id") for c in ko["cells"]] == [c.get("id") for c in en["cells"]]
    for e, k in zip(en["cells"], ko["cells"]):
        if e["cell_type"] == "code":
            if "your-turn" in e["metadata"].get("tags", []):  # its one comment is translated
                en_note, ko_note = edition.your_turn(english.stem)
                assert ko_note in "".join(k["source"]) and ko_note != en_note
                k = {**k, "source": "".join(k["source"]).replace(ko_note, en_note).splitlines(keepends=True)}
            assert k == e, f"code cell {e.get('id')} of {_id(src.korean(english))} differs from the English one"
        else:
            assert re.search(r"[\uac00-\ud7a3]", "".join(k["source"])), (
                f"prose cell {e.get('id')} of {_id(src.korean(english))} has no Korean")


def test_no_korean_notebook_without_its_english():
    built = {src.korean(nb) for src, nb in PAIRS}
    stray = [p for p in ROOT.glob("**/*" + edition.SUFFIX) if p not in built and ".venv" not in p.parts
             and "work" not in p.relative_to(ROOT).parts[:2]]
    assert not stray, f"Korean notebooks with no English source: {stray}"


def _anchors(path: Path) -> set[str]:
    return set(re.findall(r'<a name="([^"]+)"', _prose(_nb(path))))


def test_glossary_has_an_anchor_per_term_in_both_editions():
    en, ko = _anchors(GLOSSARY), _anchors(GLOSSARY.with_name("glossary" + edition.SUFFIX))
    assert len(en) >= 40, f"the glossary defines {len(en)} terms"
    assert en == ko, f"anchors differ between the editions: {sorted(en ^ ko)}"


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.name[:2])
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_lesson_links_its_terms_to_the_glossary(lesson, lang):
    path = lesson if lang == "en" else lesson.with_name(lesson.stem + edition.SUFFIX)
    target = "glossary.ipynb" if lang == "en" else "glossary" + edition.SUFFIX
    links = [t for t in LINK.findall(_prose(_nb(path))) if t.split("#")[0] == target]
    assert len(links) >= 3, f"{path.name} links {len(links)} terms to {target}; link at least 3 on first use"
    anchors = _anchors(path.with_name(target))
    dangling = [t for t in links if t.partition("#")[2] not in anchors]
    assert not dangling, f"{path.name}: no such glossary anchor: {dangling}"


@pytest.mark.parametrize("src,english", PAIRS, ids=lambda v: _id(v))
def test_korean_prose_links_to_korean_notebooks(src, english):
    korean = src.korean(english)
    wrong = []
    for target in LINK.findall(_prose(_nb(korean))):
        path = target.split("#")[0]
        if path.endswith(".ipynb") and not path.endswith(edition.SUFFIX) and "://" not in path:
            resolved = (korean.parent / path).resolve()
            if resolved.with_name(resolved.stem + edition.SUFFIX).is_file():
                wrong.append(target)
    assert not wrong, f"{_id(korean)} links English notebooks that have a Korean edition: {wrong}"


# --- the machinery itself, on a throwaway notebook ----------------------------------------------

def _write_nb(path: Path, cells: list[tuple[str, str, str]]) -> None:
    nb = {"cells": [{"cell_type": t, "id": i, "metadata": {}, "source": s,
                     **({"outputs": [{"output_type": "stream", "name": "stdout", "text": "out\n"}],
                         "execution_count": 1} if t == "code" else {})} for i, t, s in cells],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))


def test_sync_then_problems_then_build(tmp_path):
    english = tmp_path / "x.ipynb"
    _write_nb(english, [("a", "markdown", "# Hello"), ("b", "code", "print(1)"), ("c", "markdown", "Bye")])
    src = edition.Source(tmp_path / "x.yaml", (english,))
    edition.sync(src)
    assert len(edition.problems(src)) == 2  # two prose cells, no Korean yet
    entries = list(edition.load_pair(src.pair).values())
    for e, ko in zip(entries, ["# 안녕", "잘 가"]):
        e["ko"] = ko
    edition.save_pair(src, entries)
    assert edition.problems(src) == []
    edition.build(src)
    built = _nb(tmp_path / "x.ko.ipynb")
    assert ["".join(c["source"]) for c in built["cells"]] == ["# 안녕", "print(1)", "잘 가"]
    assert built["cells"][1]["outputs"] == _nb(english)["cells"][1]["outputs"]

    # The English changes: the cell is marked for review, and the check fails until the
    # translator has updated ko and removed the mark.
    _write_nb(english, [("a", "markdown", "# Hello, world"), ("b", "code", "print(1)"), ("c", "markdown", "Bye")])
    said = edition.sync(src)
    assert any("changed" in line for line in said)
    bad = edition.problems(src)
    assert len(bad) == 1 and "English changed" in bad[0]
    assert edition.load_pair(src.pair)["a"]["was"] == "# Hello"


def test_a_name_that_matches_no_notebook_is_an_error(capsys):
    """`check 3-clustr` (a typo) must not report 'every prose cell has its current Korean'."""
    assert edition.main(["check", "no-such-notebook"]) == 2
    assert "no-such-notebook" in capsys.readouterr().err
    assert edition.main(["build", "no-such-notebook"]) == 2
