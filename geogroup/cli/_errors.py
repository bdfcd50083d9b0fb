"""Exit statuses, and the one place an exception becomes a message, in the run's language.

A :class:`~geogroup.GeogroupError` with a ``code`` that the catalogue's ``[errors]`` table
knows is said from its ``values``; one without is matched against the ``[patterns]`` table
(the library's most common English messages); anything else keeps its English text inside
the translated frame (``错误：…``). A system error (:class:`OSError`) gets its errno's
words and what to do about the common ones.
"""

from __future__ import annotations

import errno
import functools
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from geogroup.cli._lang import CATALOGUE, current_lang, said_parts, say, translated, word
from geogroup.cli._text import printable
from geogroup.errors import GeogroupError

__all__ = [
    "EXIT_INTERNAL_ERROR",
    "EXIT_USAGE",
    "EXIT_USER_ERROR",
    "user_errors",
    "user_message",
]

EXIT_USER_ERROR = 1
EXIT_USAGE = 2  # click's own
EXIT_INTERNAL_ERROR = 3

_CLICK_EXITS = (click.ClickException, click.exceptions.Exit, click.exceptions.Abort)

# What to do about the system errors a run meets most, after the system's own words.
_OS_ADVICE = {
    errno.ENOSPC: "os_enospc",
    errno.EDQUOT: "os_edquot",
    errno.EFBIG: "os_efbig",
    errno.EACCES: "os_eacces",
    errno.EPERM: "os_eacces",
    errno.EROFS: "os_erofs",
}


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a user error into one line ``Error: …`` (status 1) and a bug into a short
    request to report it (status 3); ``--debug`` lets either propagate with its traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except _CLICK_EXITS:
            raise
        except (GeogroupError, OSError) as exc:
            if _debugging():
                raise
            _fail(say("error", message=user_message(exc)), EXIT_USER_ERROR)
        except Exception as exc:
            if _debugging():
                raise
            text = say("internal", kind=type(exc).__name__, message=printable(exc, one_line=True))
            _fail(text, EXIT_INTERNAL_ERROR)

    return wrapper


def user_message(exc: BaseException, lang: str | None = None) -> str:
    """The message of a user error on one line, in the run's language (or ``lang``), never
    empty: a script reading standard error finds the whole of it on the line that starts
    with ``Error:`` (``错误：``).

    Examples
    --------
    >>> from geogroup.errors import InputError
    >>> err = InputError("plan file 'p.csv' does not exist; check the path",
    ...                  code="plan.missing", values={"label": "'p.csv'"})
    >>> user_message(err, "en"), user_message(err, "zh")
    ("plan file 'p.csv' does not exist; check the path", "计划文件 'p.csv' 不存在；请检查路径")
    """
    lang = lang or current_lang()
    english = printable(exc, one_line=True)
    text = None
    if lang != "en":
        text = _coded(exc, lang) or translated(english, "patterns", lang)
        if text is None and isinstance(exc, OSError):
            text = _os_words(exc, lang)
    text = printable(text, one_line=True) if text else english
    if isinstance(exc, OSError) and exc.errno in _OS_ADVICE:
        text = f"{text}; {say(_OS_ADVICE[exc.errno], lang)}"
    return text or say("no_message", lang, kind=type(exc).__name__)


def _coded(exc: BaseException, lang: str) -> str | None:
    """An error with a code the catalogue knows, said from its values; a value named
    ``reason``, ``rest`` or ``rest_…`` (an English part of the message) through the patterns."""
    code = getattr(exc, "code", None)
    template = CATALOGUE[lang].get("errors", {}).get(code) if isinstance(code, str) else None
    if template is None:
        return None
    values = dict(getattr(exc, "values", {}))
    reason = values.get("reason")
    if isinstance(reason, str):
        values["reason"] = translated(reason, "patterns", lang) or word("reasons", reason, lang)
    values = said_parts(values, "patterns", lang)  # English parts, as in the patterns
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):  # a template naming a value the error lacks
        return None


def _os_words(exc: OSError, lang: str) -> str | None:
    """A system error in ``lang``: the file, the errno's words and the system's own."""
    name = errno.errorcode.get(exc.errno or -1)
    words = CATALOGUE[lang].get("oserror", {}).get(name or "")
    if words is None:
        return None
    where = f"{exc.filename!r}：" if exc.filename else ""
    return f"{where}{words}（{exc.strerror or name}）"


def _debugging() -> bool:
    return bool(click.get_current_context().find_root().params.get("debug"))


def _fail(message: str, status: int) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(status)
