"""The language a learner reads kubelab's messages in: English, or Korean.

Messages are marked with the standard gettext calls (``_``, ``ngettext``; ``N_`` marks a
module-level text that is translated where it is shown). The Korean catalog is
``helpers/locale/ko/LC_MESSAGES/kubelab.po``; ``tools/i18n.sh`` extracts new messages
with Babel and merges them into it. The catalog is compiled in memory when first used,
so no compiled ``.mo`` file can fall behind its ``.po``.

Korean is used when ``KUBELAB_LANG=ko`` (``./lab.sh start --lang ko`` sets it), or, when
that is unset, when the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``) is Korean.

>>> import os; os.environ["KUBELAB_LANG"] = "en"
>>> _("{count} of {total} exercises pass").format(count=1, total=2)
'1 of 2 exercises pass'
"""

from __future__ import annotations

import functools
import gettext
import io
import os
from pathlib import Path

DOMAIN = "kubelab"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en", "ko")


def language() -> str:
    """``ko`` or ``en``, from KUBELAB_LANG first, then the locale variables in gettext's order."""
    wanted = os.environ.get("KUBELAB_LANG", "").strip()
    if not wanted:
        for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
            if os.environ.get(var):
                wanted = os.environ[var]
                break
    return "ko" if wanted.lower().startswith("ko") else "en"


def catalog_path(lang: str = "ko") -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.lru_cache(maxsize=None)
def _translations(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with catalog_path(lang).open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def _(message: str) -> str:
    return _translations(language()).gettext(message)


def gettext_in(lang: str, message: str) -> str:
    """``message`` in ``lang`` whatever the current language (for writing the Korean edition)."""
    return _translations(lang).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations(language()).ngettext(singular, plural, n)


def screen_width(text: str) -> int:
    """Terminal columns ``text`` takes: two for a wide (Hangul, CJK) character.

    >>> screen_width("pool ready"), screen_width("확인 전")
    (10, 7)
    """
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` columns (``f"{text:width}"`` counts characters,
    so a Korean column would not line up).

    >>> pad("풀", 4) + "|", pad("ab", 4, right=True)
    ('풀  |', '  ab')
    """
    fill = " " * max(width - screen_width(text), 0)
    return fill + text if right else text + fill


def N_(message: str) -> str:
    """Marks a text for extraction only: it is translated later, where it is shown."""
    return message


# Texts a learner reads that live in YAML files, not in code: a lab's title, tasks and
# hints, a quiz's questions, options and reasons.
YAML_KEYS = {"title", "task", "hints", "q", "options", "why"}


def extract_yaml(fileobj, keywords, comment_tags, options):
    """Babel extractor (``babel.cfg``) for the texts above in labs/*/lab.yaml and
    notebooks/quizzes/*.yaml. Each message is reported at the line its key is on."""
    import yaml

    def walk(node):
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value in YAML_KEYS:
                    items = value.value if isinstance(value, yaml.SequenceNode) else [value]
                    for item in items:
                        if isinstance(item, yaml.ScalarNode) and item.value.strip():
                            yield item.start_mark.line + 1, None, item.value, []
                else:
                    yield from walk(value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                yield from walk(item)

    text = fileobj.read().decode("utf-8")
    for doc in yaml.compose_all(text, Loader=yaml.SafeLoader):
        yield from walk(doc)
