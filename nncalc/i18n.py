"""The language nncalc speaks: English, or Simplified Chinese (the course's own words).

The language is picked once per run, in this order: ``--lang zh|en`` anywhere on the
command line (before a ``--``), the ``NNCALC_LANG`` environment variable, then the locale
variables as gettext reads them (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``).
Anything that is not Chinese is English, the messages as written.

Messages are marked where they are written: ``_("…")`` for a sentence, ``ngettext`` for
one with a count, ``N_("…")`` for a string kept in a table and translated where it is
shown. Data never is: CSV/JSON bytes, headers and keys are the same in every language.

Catalogs are compiled ``.mo`` files read with the standard library's :mod:`gettext`
(Babel only extracts, updates and compiles them; see the README): importing this module
costs next to nothing, and a missing catalog means English, never an error.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

DOMAIN = "nncalc"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "zh")
_CATALOG = {"zh": "zh_CN"}  # the language's catalog under LOCALE_DIR
_ENV = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")  # gettext's own order

_state: dict[str, gettext.NullTranslations | str | None] = {"lang": None, "tr": None}


def language_of(value: str | None) -> str | None:
    """``zh``, ``en``, or None for a value that names neither (the next source decides).

    Accepts what people type and what locales look like: ``zh``, ``zh_CN.UTF-8``,
    ``zh-Hans``, ``en_US``, ``C``, and gettext's colon lists (``fr:zh_CN:en``).

    >>> [language_of(v) for v in ("zh", "zh_CN.UTF-8", "C.UTF-8", "fr:zh_CN", "fr", "")]
    ['zh', 'zh', 'en', 'zh', 'en', None]
    """
    if not value:
        return None
    for item in value.split(":"):
        code = item.split(".")[0].split("@")[0].replace("-", "_").lower()
        if code in ("zh", "zh_cn", "zh_sg", "zh_hans", "zh_hans_cn"):
            return "zh"
        if code.startswith("en") or code in ("c", "posix"):
            return "en"
    return "en"  # a language nncalc has no catalog for: its messages as written


def lang_in(argv: Sequence[str]) -> str | None:
    """The value of ``--lang X`` / ``--lang=X`` in ``argv`` (the last one wins, as for
    any option), not looking past ``--``; None when there is none."""
    found = None
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith("--lang="):
            found = arg.partition("=")[2]
    return found


def choose(argv: Sequence[str] = ()) -> str:
    """Pick the language from ``argv``, ``NNCALC_LANG``, then the locale; returns it.

    The command line calls this before it imports the commands, whose help texts are
    translated as they are built.
    """
    lang = language_of(lang_in(argv)) or language_of(os.environ.get("NNCALC_LANG"))
    if lang is None:
        lang = next((language_of(v) for v in map(os.environ.get, _ENV) if v), None)
    use(lang or "en")
    return current()


def use(lang: str) -> None:
    """Speak ``lang`` (``zh`` or ``en``) from now on; a missing catalog means English."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: pick one of {', '.join(LANGUAGES)}")
    catalog = _CATALOG.get(lang)
    tr = (
        gettext.translation(DOMAIN, LOCALE_DIR, languages=[catalog], fallback=True)
        if catalog
        else gettext.NullTranslations()
    )
    _state["lang"], _state["tr"] = lang, tr


@contextmanager
def english() -> Iterator[None]:
    """English inside the block, whatever the screens speak: for text that is data (a
    message inside piped JSON is parsed by scripts and must be the same in every
    language)."""
    saved = dict(_state)
    use("en")
    try:
        yield
    finally:
        _state.update(saved)


def current() -> str:
    """The language in use (picked from the environment on first use)."""
    if _state["lang"] is None:
        choose()
    return str(_state["lang"])


def _translations() -> gettext.NullTranslations:
    tr = _state["tr"]
    if not isinstance(tr, gettext.NullTranslations):
        choose()
        tr = _state["tr"]
    assert isinstance(tr, gettext.NullTranslations)
    return tr


def _(message: str) -> str:
    """``message`` in the language in use. Placeholders stay named, for whole sentences:
    ``_("{n} samples").format(n=m)``, never ``_("samples")`` glued to a number."""
    return _translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted message that fits ``n`` (Chinese has one form)."""
    return _translations().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` where the same English word needs two translations (a short heading)."""
    return _translations().pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it yet: for strings kept in
    tables at import and passed through ``_()`` where they are shown."""
    return message


def help_text(message: str) -> str:
    """An option's or a command's help, translated when the option is declared.

    The same as ``_()``; its own name says when it runs (at import, which is why the
    command line picks the language before it imports the commands) and lets a test
    find every help text in the catalog.
    """
    return _(message)
