"""The language the command speaks: Chinese or English, chosen once per run.

Which language
--------------
``--lang zh|en``, given to any command, sets the language of everything the run prints
(messages, warnings, errors, the help and click's usage errors) and of the files it writes
(report, map). Without ``--lang``, messages follow the locale: the first of ``LC_ALL``,
``LC_MESSAGES`` and ``LANG`` that is set (and not empty) decides, Chinese when it starts
with ``zh`` (``zh_CN.UTF-8``, ``zh_TW``), English otherwise (``C``, ``en_US.UTF-8``, none);
reports and maps stay Chinese (their default). ``--headers zh`` of ``propose`` is apart:
plan.csv and groups.csv are English unless it is given.

The words
---------
``geogroup/cli/messages/<lang>.toml``: ``[messages]`` by key (:func:`say`), ``[status]``
the solver's status words, ``[errors]`` the library's errors by their ``code`` (with the
error's ``values``), ``[reasons]`` the reasons a plan cell cannot be read, ``[patterns]``
English messages of the library said in Chinese (regular expressions over the whole
message; named groups fill the template, and one named ``rest`` or ``rest_…`` is itself
translated), ``[click]`` click's own messages the same way, and ``[help]`` the help texts,
keyed by their English text (white space collapsed). Text missing from the Chinese file
shows in English: a translator edits the TOML file only.
"""

from __future__ import annotations

import contextlib
import os
import re
import tomllib
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from importlib import resources
from typing import Any

import click

from geogroup.cli._text import echo

__all__ = [
    "LANGS",
    "current_lang",
    "lang_from_args",
    "lang_option",
    "locale_lang",
    "said_parts",
    "say",
    "speaking",
    "translated",
    "warnings_said",
]

LANGS = ("zh", "en")
_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")
_CURRENT: ContextVar[str | None] = ContextVar("geogroup_cli_lang", default=None)
_BLANKS = re.compile(r"\s+")


def _read(lang: str) -> dict[str, dict[str, str]]:
    path = resources.files("geogroup.cli") / "messages" / f"{lang}.toml"
    tables = tomllib.loads(path.read_text(encoding="utf-8"))
    for name, table in tables.items():
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise RuntimeError(f"geogroup: cli/messages/{lang}.toml: [{name}] must hold strings")
    return tables


CATALOGUE: dict[str, dict[str, dict[str, str]]] = {lang: _read(lang) for lang in LANGS}
"""Every word of the command line, by language, table and key."""

_PATTERNS = {
    lang: {
        table: [(re.compile(key, re.DOTALL), text) for key, text in tables.get(table, {}).items()]
        for table in ("patterns", "click", "check")
    }
    for lang, tables in CATALOGUE.items()
}
_HELP = {
    lang: {_BLANKS.sub(" ", key).strip(): text for key, text in tables.get("help", {}).items()}
    for lang, tables in CATALOGUE.items()
}


# --------------------------------------------------------------------------- which language


def locale_lang(environ: Mapping[str, str] | None = None) -> str:
    """The language of the locale: ``'zh'`` when the first of ``LC_ALL``, ``LC_MESSAGES``
    and ``LANG`` that is set starts with ``zh``, else ``'en'``.

    Examples
    --------
    >>> locale_lang({"LANG": "zh_CN.UTF-8"}), locale_lang({"LC_ALL": "C", "LANG": "zh_CN"})
    ('zh', 'en')
    >>> locale_lang({})
    'en'
    """
    environ = os.environ if environ is None else environ
    for name in _LOCALE_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            return "zh" if value.casefold().startswith("zh") else "en"
    return "en"


def lang_from_args(args: Sequence[str]) -> str | None:
    """The language a command line asks for with ``--lang zh|en`` (or ``--lang=zh``), None
    when it asks for none (or for an unknown one, which the option itself refuses).

    Examples
    --------
    >>> lang_from_args(["propose", "x.csv", "--lang", "en"]), lang_from_args(["--lang=zh"])
    ('en', 'zh')
    >>> lang_from_args(["map", "p.gpkg", "--lang", "fr"]) is None
    True
    """
    found = None
    for i, word in enumerate(args):
        if word == "--":
            break
        if word == "--lang" and i + 1 < len(args):
            found = args[i + 1]
        elif word.startswith("--lang="):
            found = word.partition("=")[2]
    return found if found in LANGS else None


@contextlib.contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Speak ``lang`` inside the block (one run of the command)."""
    token = _CURRENT.set(lang)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current_lang() -> str:
    """The language of this run: the one set by :func:`speaking`, else the locale's."""
    return _CURRENT.get() or locale_lang()


def lang_option(*, report: bool = True) -> Any:
    """The ``--lang`` option: the language of the messages and, for a command that writes
    a report or a map (``report``), of those too (Chinese unless given)."""
    what = (
        "Language of the messages and of the report (default: messages in the locale's "
        "language, the report in Chinese)."
        if report
        else "Language of the messages (default: the locale's)."
    )
    return click.option(
        "--lang",
        type=click.Choice(LANGS),
        default="zh" if report else None,
        show_default=report,
        expose_value=report,
        help=what,
    )


# --------------------------------------------------------------------------- the words


class _Values(dict):
    """Template values; a name the template has but the values lack shows as itself."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def say(key: str, lang: str | None = None, /, **values: Any) -> str:
    """The message ``key`` of ``[messages]`` in the run's language (or ``lang``), filled in
    with ``values``; the English one when the language lacks it.

    Examples
    --------
    >>> say("wrote", "zh", path="out/plan.csv"), say("wrote", "en", path="out/plan.csv")
    ('  已写入 out/plan.csv', '  wrote out/plan.csv')
    """
    lang = lang or current_lang()
    text = CATALOGUE[lang]["messages"].get(key) or CATALOGUE["en"]["messages"][key]
    return text.format_map(_Values(values))


def word(table: str, key: str, lang: str | None = None) -> str:
    """A word of a table (``status``, ``reasons``, …), or ``key`` itself when it has none.

    Examples
    --------
    >>> word("status", "heuristic", "zh"), word("status", "nope", "zh")
    ('启发式', 'nope')
    """
    lang = lang or current_lang()
    return CATALOGUE[lang].get(table, {}).get(key, key)


def translated(text: str, table: str = "patterns", lang: str | None = None) -> str | None:
    """``text``, an English message of the library (``table='patterns'``) or of click
    (``'click'``), or a line of the read report (``'check'``), in the run's language by the
    first pattern that matches it whole; None when none does (or the language is English).
    A group named ``rest`` (or ``rest_…``: a message may hold several parts to translate)
    is itself translated when a pattern of the table matches it, and one named ``reason``
    by the ``[reasons]`` words or the ``[patterns]``.

    Examples
    --------
    >>> translated("Missing option '--out'.", "click", "zh")
    "缺少选项 '--out'。"
    """
    lang = lang or current_lang()
    if lang == "en":
        return None
    for pattern, template in _PATTERNS[lang][table]:
        found = pattern.fullmatch(text if table == "check" else text.strip())
        if found is None:
            continue
        values = said_parts(found.groupdict(), table, lang)
        if values.get("reason"):
            reason = values["reason"]
            values["reason"] = (
                CATALOGUE[lang].get("reasons", {}).get(reason)
                or (translated(reason, "patterns", lang) if table != "patterns" else None)
                or reason
            )
        return template.format_map(_Values(values))
    return None


def said_parts(values: dict[str, Any], table: str, lang: str) -> dict[str, Any]:
    """``values`` with each part named ``rest`` or ``rest_…`` (English inside a message) said
    in ``lang`` through ``table``: a text as a whole, a list of texts part by part, joined by
    the language's separator of parts."""
    out = dict(values)
    for name, value in values.items():
        if not value or (name != "rest" and not name.startswith("rest_")):
            continue
        if isinstance(value, str):
            out[name] = translated(value, table, lang) or value
        elif isinstance(value, list | tuple):
            parts = (translated(str(v), table, lang) or str(v) for v in value)
            out[name] = say("parts", lang).join(parts)
    return out


def help_text(text: str, lang: str | None = None) -> str:
    """A help text in the run's language (itself in English, or without a translation)."""
    lang = lang or current_lang()
    if lang == "en" or not text:
        return text
    return _HELP[lang].get(_BLANKS.sub(" ", text).strip(), text)


def help_prefix(text: str, lang: str | None = None) -> str:
    """A help text cut short by click (``"… the first sentence..."``) in the run's
    language: the translation of the help it starts."""
    lang = lang or current_lang()
    if lang == "en" or not text.endswith("..."):
        return help_text(text, lang)
    start = _BLANKS.sub(" ", text[:-3]).strip()
    for english, local in _HELP[lang].items():
        if english.startswith(start):
            return local.split("。")[0] + ("。" if "。" in local else "")
    return text


@contextlib.contextmanager
def warnings_said() -> Iterator[None]:
    """Record the warnings the library gives in the block, then say each on standard error,
    once, in the run's language (:func:`translated`; as given when it has no pattern)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        yield
    for text in dict.fromkeys(str(w.message) for w in caught):
        echo(say("warning", message=translated(text) or text), err=True)
