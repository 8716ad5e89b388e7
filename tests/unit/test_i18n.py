"""kubelab's messages in Korean (helpers/i18n.py), without a cluster: the language is
chosen from KUBELAB_LANG, then the locale; the Korean catalog has a translation for every
message the code and the labs' and quizzes' YAML files hold (extracted with Babel exactly as
tools/i18n.sh does), none fuzzy, each keeping its placeholders and code spans."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from helpers import config, i18n

ROOT = config.REPO_ROOT
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.mark.parametrize("env,expected", [
    ({"KUBELAB_LANG": "ko"}, "ko"),
    ({"KUBELAB_LANG": "ko_KR.UTF-8"}, "ko"),
    ({"KUBELAB_LANG": "en", "LANG": "ko_KR.UTF-8"}, "en"),
    ({"LANG": "ko_KR.UTF-8"}, "ko"),
    ({"LC_ALL": "C.UTF-8", "LANG": "ko_KR.UTF-8"}, "en"),
    ({"LC_MESSAGES": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}, "ko"),
    ({}, "en"),
])
def test_language_comes_from_kubelab_lang_then_the_locale(monkeypatch, env, expected):
    for var in ("KUBELAB_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert i18n.language() == expected


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    pot = tmp_path_factory.mktemp("i18n") / "kubelab.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
                    "-k", "_", "-k", "N_", "-k", "ngettext:1,2", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as f:
        return read_po(f)


@pytest.fixture(scope="module")
def korean():
    with i18n.catalog_path("ko").open("rb") as f:
        return read_po(f, locale="ko")


def _key(message):
    return message.id if isinstance(message.id, str) else message.id[0]


# Modules whose messages a learner reads: each must mark some for translation.
SPEAKING = ["errors.py", "cli.py", "pipeline.py", "manifests.py", "images.py", "kube.py", "cluster.py",
            "doctor.py", "checks.py", "labs.py", "show.py", "turns/l03.py", "turns/l06.py"]


@pytest.mark.parametrize("module", SPEAKING)
def test_the_code_marks_its_messages_for_translation(extracted, module):
    found = [m for m in extracted if m.id and any(str(loc[0]).endswith("helpers/" + module) for loc in m.locations)]
    assert found, f"helpers/{module} marks no message for translation (wrap what a learner reads in _())"


def test_catalog_has_every_message_in_korean(extracted, korean):
    ours = {_key(m): m for m in korean if m.id}
    missing = [_key(m) for m in extracted if m.id and _key(m) not in ours]
    untranslated = [k for k, m in ours.items() if not (m.string if isinstance(m.string, str) else all(m.string))]
    fuzzy = [k for k, m in ours.items() if m.fuzzy]
    stale = sorted(set(ours) - {_key(m) for m in extracted if m.id})
    report = []
    for what, keys in (("not in the catalog (run tools/i18n.sh)", missing),
                       ("without Korean", untranslated), ("marked fuzzy (English changed)", fuzzy),
                       ("no longer in the code (run tools/i18n.sh)", stale)):
        if keys:
            report.append(f"{len(keys)} messages {what}, e.g. {keys[:3]}")
    assert not report, "\n".join(report)


def test_korean_keeps_placeholders_and_code_spans(korean):
    bad = []
    for m in korean:
        if not m.id:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        for text in strings:
            if not text:
                continue
            if set(re.findall(r"\{[^{}]*\}", ids[0])) != set(re.findall(r"\{[^{}]*\}", text)):
                bad.append(f"placeholders: {ids[0]!r} -> {text!r}")
            spans = set(re.findall(r"`[^`]+`", ids[0])) - set(re.findall(r"`[^`]+`", text))
            if spans:
                bad.append(f"code spans {sorted(spans)} lost: {ids[0]!r} -> {text!r}")
    assert not bad, "\n".join(bad[:20]) + (f"\n… {len(bad)} in all" if len(bad) > 20 else "")


def test_korean_is_what_a_korean_learner_reads(monkeypatch, korean):
    message = next(m for m in korean if m.id and isinstance(m.id, str) and HANGUL.search(m.string or ""))
    monkeypatch.setenv("KUBELAB_LANG", "ko")
    assert i18n._(message.id) == message.string
    monkeypatch.setenv("KUBELAB_LANG", "en")
    assert i18n._(message.id) == message.id
