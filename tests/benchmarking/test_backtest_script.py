"""benchmarks/backtest.py on the output harness: real short backtests, its report and exit status.

The workers run in this process (``run_child`` replaced by the script's own ``main`` in worker
mode: the same code a fresh process runs, without the interpreter start), rustybt only, on a
10-asset bundle of two weeks, so the test takes seconds; the script's figures are checked
for shape and consistency, never for speed.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from script_support import load_script

from rustybt.benchmarking.docfigures import read_between_markers

ARGS = ["--no-zipline", "--skip-rebalance", "--skip-minute", "--dma-end", "2018-03-29",
        "--repeats", "1"]


@pytest.fixture(scope="module")
def bt():
    yield from load_script("backtest.py", "rustybt_backtest_script")


def _in_process(bt: Any, tamper: Any = None) -> Any:
    """``run_child`` running the worker in this process (``tamper`` edits its result)."""

    def run(argv: list[str]) -> dict[str, Any]:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert bt.main(argv) == 0
        result = dict(json.loads(out.getvalue().strip().splitlines()[-1]))
        return result if tamper is None else tamper(argv, result)

    return run


def _main(bt: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *extra: str,
          tamper: Any = None) -> int:
    monkeypatch.setattr(bt, "run_child", _in_process(bt, tamper))
    return int(bt.main([*ARGS, "--root", str(tmp_path / "root"), *extra]))


def test_report_has_every_figure_and_identical_transactions(bt, monkeypatch, tmp_path,
                                                            capsys):
    doc = tmp_path / "page.md"
    doc.write_text("# page\n<!-- BENCHMARK:backtest:START -->\nold\n"
                   "<!-- BENCHMARK:backtest:END -->\n")
    js, md = tmp_path / "bt.json", tmp_path / "bt.md"
    assert _main(bt, monkeypatch, tmp_path, "--json", str(js), "--markdown", str(md),
                 "--update-doc", str(doc)) == 0
    data = json.loads(js.read_text())
    tables = {t["name"]: t["rows"] for t in data["tables"]}
    assert set(tables) == {"dma", "profile"}
    arr, frame = tables["dma"]
    assert (arr["engine"], frame["engine"]) == ("rustybt (array)", "rustybt (dataframe)")
    for row in (arr, frame):
        assert row["sessions"] == 11 and row["bars"] == 11  # 2018-03-15..2018-03-29
        assert 0 < row["history"] < row["wall"] and 0 < row["strategy"] < row["wall"]
        assert row["cpu"] > 0 and row["warm"] > 0 and row["warm_history"] > 0
        assert row["rss_mb"] > 10 and row["vs_zipline"] is None  # no zipline: no ratio
    assert data["data"]["identical_transactions"] == {
        "dma": {"rustybt (array)": True, "rustybt (dataframe)": True}}
    assert data["data"]["framework_to_strategy"] == pytest.approx(
        (arr["wall"] - arr["strategy"]) / arr["strategy"])
    profile = tables["profile"]
    assert len(profile) == bt.PROFILE_TOP
    own = [r["own_s"] for r in profile]
    assert own == sorted(own, reverse=True) and all(0 <= r["own_share"] <= 1 for r in profile)
    text = md.read_text()
    assert "### dual moving average 20/50, 10 assets, 2018-03-15..2018-03-29 (11 sessions" in text
    assert "| engine | first s | cpu s | again s | history s (again) |" in text
    assert f"| rustybt (array) | {arr['wall']:.3f} | {arr['cpu']:.3f} |" in text
    assert "against rustybt (array), " in text and "rustybt (dataframe) yes." in text
    assert "framework : strategy = " in text and "per session: " in text
    assert "### cProfile of rustybt (array), top 15 by own time" in text
    assert "Monthly rebalance (500 assets, 10 years): not run (--skip-rebalance)." in text
    assert read_between_markers(doc, "backtest") == text.strip()
    assert "| rustybt (array) |" not in capsys.readouterr().out  # the console: no Markdown


def test_differing_transactions_fail_the_run_and_name_the_difference(bt, monkeypatch,
                                                                     tmp_path, capsys):
    def tamper(argv: list[str], result: dict[str, Any]) -> dict[str, Any]:
        if argv[argv.index("--return-type") + 1] == "none" and "transactions" in result:
            first = result["transactions"][0]
            result["transactions"][0] = [first[0], first[1], first[2] + 1, first[3]]
        return result

    js = tmp_path / "bt.json"
    assert _main(bt, monkeypatch, tmp_path, "--json", str(js), tamper=tamper) == 1
    data = json.loads(js.read_text())  # the report is still written
    assert data["data"]["identical_transactions"]["dma"] == {
        "rustybt (array)": True, "rustybt (dataframe)": False}
    text = " ".join(data["text"])
    assert "rustybt (dataframe) NO. rustybt (dataframe): transaction 0 is [" in text
    assert "transactions differ from rustybt (array)'s" in capsys.readouterr().err
