"""Values of options that once ended in an internal error (exit 3) and are the user's to fix:
a Dask scheduler address Dask cannot parse or reach, and an empty output file name."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from geogroup.cli import main
from geogroup.errors import InputError
from geogroup.group._units import _connect
from geogroup.outputs import OutputError, atomic_path

SCHOOLS = str(Path(__file__).parent / "bad_inputs" / "five_schools.csv")


@pytest.mark.parametrize("address", ["x", "", "一二三"])
def test_a_scheduler_address_dask_cannot_parse_is_a_user_error(address, tmp_path):
    args = ["propose", SCHOOLS, "--policy", "shandong", "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(main, [*args, "--scheduler", address, "--lang", "en"])
    assert result.exit_code == 1, result.output
    assert "is not the address of a Dask scheduler" in result.stderr
    assert "tcp://host:port" in result.stderr


def test_an_unreachable_scheduler_is_named_with_what_to_do():
    def refused(address: str) -> None:
        raise OSError(f"Timed out trying to connect to {address} after 30 s")

    with pytest.raises(InputError, match=r"cannot reach the Dask scheduler at 'tcp://h:1'"):
        _connect(refused, "tcp://h:1")


@pytest.mark.parametrize("name", ["", "."])
def test_an_output_without_a_file_name_is_refused(name):
    with pytest.raises(OutputError, match="no file name"), atomic_path(name):
        pass


def test_the_map_command_refuses_an_empty_out(tmp_path):
    plan = tmp_path / "plan.csv"
    plan.write_text(
        "school_id,name,lon,lat,quality,group_id,role\n"
        "A,一中,116.40,39.90,90,G01,lead\nB,二小,116.41,39.91,60,G01,member\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["map", str(plan), "--out", "", "--lang", "en"])
    assert result.exit_code == 1, result.output
    assert "no file name" in result.stderr
