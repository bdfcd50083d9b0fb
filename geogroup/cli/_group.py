"""The ``geogroup`` command group: one language per run, for its help and usage errors too.

:class:`Geogroup` finds the run's language before click parses anything (``--lang``
anywhere on the command line, else the locale: :mod:`geogroup.cli._lang`), so that a usage
error met while parsing speaks it as well. Every command it holds formats its help through
:class:`HelpFormatter`, which says click's headings, the usage line and each help text in
that language; a usage error is shown as click shows it, its words translated
(``[click]`` patterns of the message catalogue).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import sys
import threading
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from geogroup.cli._lang import (
    current_lang,
    help_prefix,
    help_text,
    lang_from_args,
    locale_lang,
    say,
    speaking,
    translated,
)
from geogroup.cli._text import width

__all__ = ["Geogroup", "HelpFormatter", "show_usage_error"]

# A help text as click ends it: the text, then two spaces and "[default: x; required]".
_EXTRA = re.compile(r"^(?P<text>.*?)(?P<extra>  \[[^\[\]]*\])?$", re.DOTALL)
_HEADINGS = {"Options": "options", "Commands": "commands", "Arguments": "arguments"}
# Tokens of a line to wrap: click's "[default: …]" whole, a run of narrow characters, a run
# of space, one wide character.
_TOKENS = re.compile(r"\[[^\[\]\s]*\]|[^\s\u2e80-\uffff]+|\s+|.", re.DOTALL)
# Punctuation that never starts a line of Chinese text.
_CLOSING = frozenset("，。；：、！？）》」』】〕…,.;:!?)]")


class HelpFormatter(click.HelpFormatter):
    """click's help formatter, in the run's language; Chinese text is wrapped by its width
    on the terminal (two columns a character), between any two characters but before
    closing punctuation."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if current_lang() != "en":
            prefix = say("usage") if prefix is None else prefix
            args = args.replace("[OPTIONS]", say("options_placeholder")).replace(
                "COMMAND [ARGS]...", say("command_placeholder")
            )
        super().write_usage(prog, args, prefix)

    def write_heading(self, heading: str) -> None:
        key = _HEADINGS.get(heading)
        if key is None or current_lang() == "en":
            super().write_heading(heading)
            return
        self.write(f"{'':>{self.current_indent}}{say(key)}：\n")

    def write_text(self, text: str) -> None:
        if current_lang() == "en":
            super().write_text(text)
            return
        indent = " " * self.current_indent
        for line in wrap(help_text(text), self.width - self.current_indent):
            self.write(f"{indent}{line}\n" if line else "\n")

    def write_dl(
        self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        if current_lang() == "en":
            super().write_dl(rows, col_max, col_spacing)
            return
        rows = [(term, _help_with_extra(text)) for term, text in rows]
        first = min(max((width(t) for t, _ in rows), default=0), col_max) + col_spacing
        margin = " " * (first + self.current_indent)
        for term, text in rows:
            self.write(f"{'':>{self.current_indent}}{term}")
            if width(term) <= first - col_spacing:
                self.write(" " * (first - width(term)))
            else:
                self.write("\n" + margin)
            lines = wrap(text, max(self.width - first - 2, 10)) or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(f"{margin}{line}\n")


def wrap(text: str, limit: int) -> list[str]:
    """``text`` as lines of at most ``limit`` terminal columns: paragraphs (parted by a
    blank line) rewrapped, a paragraph that starts with ``\\b`` kept line by line, as
    click does.

    Examples
    --------
    >>> wrap("报告的语言：中文或英文。", 12)
    ['报告的语言：', '中文或英文。']
    """
    out: list[str] = []
    for i, paragraph in enumerate(re.split(r"\n\s*\n", text.strip("\n"))):
        if i:
            out.append("")
        if paragraph.startswith("\b"):
            out += [line.rstrip() for line in paragraph[1:].strip("\n").splitlines()]
        else:
            out += _wrap_paragraph(paragraph, limit)
    return out


def _wrap_paragraph(text: str, limit: int) -> list[str]:
    tokens = _TOKENS.findall(text.strip())
    closing = [not t.isspace() and t[0] in _CLOSING for t in tokens]
    # The columns of the closing punctuation right after each token, which goes with it.
    after = [0] * (len(tokens) + 1)
    for i in range(len(tokens) - 1, -1, -1):
        after[i] = (
            (width(tokens[i + 1]) + after[i + 1]) if i + 1 < len(tokens) and closing[i + 1] else 0
        )
    lines, line, used = [], "", 0
    for i, token in enumerate(tokens):
        if token.isspace():
            if line and not line.endswith(" "):
                line, used = line + " ", used + 1
            continue
        size = width(token)
        if not closing[i] and used + size + after[i] > limit and line.strip():
            lines.append(line.rstrip())
            line, used = "", 0
        line, used = line + token, used + size
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _help_with_extra(text: str) -> str:
    """An option's help and click's ``[default: …; required]`` after it, translated."""
    if current_lang() == "en" or not text:
        return text
    parts = _EXTRA.match(text)
    body, extra = parts.group("text"), parts.group("extra") or ""
    if extra:
        extra = (
            extra.replace("default: ", say("default_word"))
            .replace("required", say("required_word"))
            .replace("env var: ", say("env_word"))
            .replace("; ", "；")
        )
    return help_prefix(body) + extra


class Context(click.Context):
    """A click context whose help speaks the run's language."""

    formatter_class = HelpFormatter


class Geogroup(click.Group):
    """The ``geogroup`` group: sets the run's language, and gives every command it holds
    a context that formats help in that language."""

    context_class = Context

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        cmd.context_class = Context
        super().add_command(cmd, name)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        words = list(sys.argv[1:] if args is None else args)
        with speaking(lang_from_args(words) or locale_lang()):
            if not standalone_mode:
                return super().main(words, prog_name, complete_var, False, **extra)
            try:
                done = super().main(words, prog_name, complete_var, False, **extra)
            except click.exceptions.UsageError as exc:
                show_usage_error(exc)
                sys.exit(exc.exit_code)
            except click.ClickException as exc:
                click.echo(say("error", message=_click_message(exc)), err=True)
                sys.exit(exc.exit_code)
            except click.Abort:
                click.echo(say("aborted"), err=True)
                sys.exit(1)
            _exit(done)


def _exit(done: Any) -> NoReturn:
    sys.exit(done if isinstance(done, int) else 0)


def _click_message(exc: click.ClickException) -> str:
    message = exc.format_message()
    return translated(message, "click") or message


def show_usage_error(exc: click.exceptions.UsageError) -> None:
    """A usage error as click shows it (usage line, a hint, ``Error: …``), in the run's
    language."""
    if current_lang() == "en":
        exc.show()
        return
    ctx = exc.ctx
    if ctx is not None:
        hint = ""
        if ctx.command.get_help_option(ctx) is not None:
            command = f"{ctx.command_path} {ctx.help_option_names[0]}"
            hint = say("usage_hint", command=command) + "\n"
        click.echo(f"{ctx.get_usage()}\n{hint}", err=True, color=ctx.color)
    click.echo(say("error", message=_click_message(exc)), err=True)


def ended(exit: SystemExit) -> NoReturn:
    """End the process with the status of ``exit`` once the command is done, skipping the
    interpreter's teardown (freeing every object one by one: 0.5 s or more after a run on
    a province). Nothing is lost by it: every file is written and closed by then, the exit
    handlers (worker pools, temporary folders) run here as they would, and both streams are
    flushed. When a thread of the program still runs, or the status is not a number, the
    end is Python's usual one."""
    code = 0 if exit.code is None else exit.code
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if not isinstance(code, int) or any(t.is_alive() and not t.daemon for t in others):
        raise exit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
