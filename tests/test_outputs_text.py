"""Text from the input on its way to a terminal: no escape sequence or control character
gets through (geogroup.present.printable)."""

from __future__ import annotations

import unicodedata

import pytest

from geogroup.present import printable


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("红旗小学 No. 2", "红旗小学 No. 2"),  # as it is, spaces included
        ("\x1b[31m红旗小学\x1b[0m", "红旗小学"),  # colours
        ("a\x1b[2J\x1b[Hb", "ab"),  # clear the screen, move the cursor
        ("a\x1b]0;pwned\x07b", "ab"),  # a window title
        ("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),  # a hyperlink
        ("a\x1bPq#0;2;0;0;0\x1b\\b", "ab"),  # a device control string
        ("a\x9b31mb", "ab"),  # the 8-bit CSI
        ("a\x1bcb", "ab"),  # reset the terminal
        ("a\x00b\x07c\x08d\x7fe", "abcde"),  # NUL, bell, backspace, delete
        ("line\rover", "line over"),  # a carriage return would overwrite the line
        ("a\tb\nc\x0bd\x0ce\u2028f", "a b c d e f"),
        ("evil\u202egpj.exe", "evilgpj.exe"),  # a right-to-left override
        ("👩\u200d🏫", "👩\u200d🏫"),  # a zero-width joiner inside an emoji stays
        (12.5, "12.5"),
    ],
)
def test_printable_strips_what_a_terminal_would_act_on(text, shown) -> None:
    assert printable(text) == shown


def test_line_feeds_may_be_kept_for_a_text_of_several_lines() -> None:
    assert printable("a\r\nb\n\x1b[1mc", keep_newlines=True) == "a \nb\nc"


def test_no_control_character_is_left() -> None:
    every = "".join(map(chr, range(0x250)))
    assert not [c for c in printable(every) if unicodedata.category(c) == "Cc"]
