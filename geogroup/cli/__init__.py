"""The ``geogroup`` command: parses arguments, calls the public API, writes files.

No logic of its own. Exit status:

0
    Done.
1
    A user error: a :class:`~geogroup.GeogroupError` (input, policy, infeasible) or a file
    that cannot be read or written (:class:`OSError`). Prints one line ``Error: …`` on
    standard error, without a traceback.
2
    Bad usage (click's convention): a missing or malformed option, or options that conflict
    (``--scheduler`` with ``--backend`` other than ``dask``). Prints click's usage message.
3
    An internal error: anything else is a bug in geogroup. Prints ``Internal error: …``
    with a request to report it, and no traceback.

``--debug`` (before the command: ``geogroup --debug propose …``) lets an error of status
1 or 3 propagate instead, so that Python prints its full traceback (and exits 1).

``propose`` writes into ``--out`` only: the file names come from the policy's ``[output]``
table (default ``plan.*``, ``report.*``, ``map.html``), and a name that would lead outside
``--out`` is an error of status 1 before anything is written. ``evaluate --policy`` names
its report the same way.

Everything printed that comes from the data (names, ids, messages quoting a cell) is
stripped of control characters and terminal escape sequences first
(:func:`geogroup.cli._text.printable`). A school list may be ``-``: standard input.

Language: ``--lang zh|en`` on any command; without it, messages follow the locale
(``LC_ALL``, ``LC_MESSAGES``, ``LANG`` starting with ``zh``: Chinese) and reports and maps
are Chinese (:mod:`geogroup.cli._lang`; the words in ``messages/<lang>.toml``). In Chinese
the error line starts ``错误：`` instead of ``Error:``; the exit statuses are the same.

Modules: ``_errors`` (exit statuses), ``_text`` (printing), ``_lang`` and ``_group`` (the
language of a run, help and usage errors), ``_read`` (the read options and ``check``),
``_propose``, ``_plans`` (``map``, ``evaluate``, ``compare``), ``_scenarios``.
"""

from __future__ import annotations

import click

from geogroup.cli._assets import assets
from geogroup.cli._edit import edit
from geogroup.cli._errors import EXIT_INTERNAL_ERROR, EXIT_USAGE, EXIT_USER_ERROR
from geogroup.cli._group import Geogroup, ended
from geogroup.cli._plans import compare, evaluate, map_command
from geogroup.cli._propose import propose
from geogroup.cli._read import check
from geogroup.cli._scenarios import scenarios_command
from geogroup.cli._summary import summary_command

__all__ = ["EXIT_INTERNAL_ERROR", "EXIT_USAGE", "EXIT_USER_ERROR", "main", "run"]

_EXIT_STATUS = """\b
Exit status: 0 done; 1 an error in the input, the policy or a file ("Error: ..."); 2 bad
usage; 3 an internal error (a bug: please report it; --debug shows the traceback).
"""


@click.group(cls=Geogroup, epilog=_EXIT_STATUS)
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
@click.version_option(package_name="geogroup")
def main(debug: bool) -> None:
    """Propose, measure and map 1+X school groups."""


for _command in (check, propose, map_command, evaluate, compare, scenarios_command, edit, assets):
    main.add_command(_command)
main.add_command(summary_command)


def run() -> None:
    """The ``geogroup`` console script: :data:`main`, then an end without the interpreter's
    teardown (:func:`geogroup.cli._group.ended`)."""
    try:
        main()
    except SystemExit as exc:
        ended(exc)
