"""Exit statuses, and the one place an exception becomes a message."""

from __future__ import annotations

import errno
import functools
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from geogroup.cli._text import printable
from geogroup.errors import GeogroupError

__all__ = ["EXIT_INTERNAL_ERROR", "EXIT_USAGE", "EXIT_USER_ERROR", "user_errors"]

EXIT_USER_ERROR = 1
EXIT_USAGE = 2  # click's own
EXIT_INTERNAL_ERROR = 3

_CLICK_EXITS = (click.ClickException, click.exceptions.Exit, click.exceptions.Abort)

# What to do about the system errors a run meets most, after the system's own words.
_OS_ADVICE = {
    errno.ENOSPC: "the disk is full: free some space, or write to another folder with --out",
    errno.EDQUOT: "the disk quota is used up: free some space, or write to another folder",
    errno.EFBIG: "the file is larger than this system allows: write to another folder",
    errno.EACCES: "check the permissions of that file and its folder",
    errno.EPERM: "check the permissions of that file and its folder",
    errno.EROFS: "that file system is read-only: write to another folder with --out",
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
            _fail(f"Error: {user_message(exc)}", EXIT_USER_ERROR)
        except Exception as exc:
            if _debugging():
                raise
            _fail(
                f"Internal error: {type(exc).__name__}: {printable(exc, one_line=True)}\n"
                "This is a bug in geogroup, not a problem with your input: please report it "
                "with the command you ran. Rerun with --debug for the traceback.",
                EXIT_INTERNAL_ERROR,
            )

    return wrapper


def user_message(exc: BaseException) -> str:
    """The message of a user error on one line, never empty: a script reading standard
    error finds the whole of it on the line that starts with ``Error:``."""
    text = printable(exc, one_line=True)
    if isinstance(exc, OSError) and exc.errno in _OS_ADVICE:
        text = f"{text}; {_OS_ADVICE[exc.errno]}"
    return text or f"{type(exc).__name__} (no message)"


def _debugging() -> bool:
    return bool(click.get_current_context().find_root().params.get("debug"))


def _fail(message: str, status: int) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(status)
