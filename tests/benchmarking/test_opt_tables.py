"""benchmarks/opt_tables.py: the optimization benchmark's report keeps every figure raw.

No measuring (the script's ``--quick`` takes minutes): the tables are given the shapes its
measuring functions return, and the report is read back as Markdown and JSON.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from script_support import load_script

from rustybt.benchmarking.tables import ScriptReport


@pytest.fixture(scope="module")
def opt():
    yield from load_script("opt_tables.py", "rustybt_opt_tables")


def _run(trials, wall, hit, boot=None):
    return {"wall": wall, "trials": trials, "best": {"short": 5, "long": 100}, "trial_s": 0.5,
            "hit_rate": hit, "boot": boot, "setup": None if boot is None else 0.1,
            "frame": pd.DataFrame({"sharpe": [0.5, 1.25]})}


def test_engine_checks_and_rivals_keep_raw_figures(opt):
    report = ScriptReport("optimization", out=None)
    rows = {"processes x2": _run(20, 20.0, 0.75, boot=2.0), "serial": _run(4, 2.0, 0.5),
            "flags off x2": _run(4, 40.0, float("nan"), boot=3.0)}
    per100 = opt.engine_table(report, rows, "grid")
    assert per100 == {"processes x2": 100.0, "serial": 50.0, "flags off x2": 1000.0}
    opt.checks_table(report, rows, per100, {"trial": 0.25, "bare": 0.2})
    opt.bayes_text(report, {"wall": 9.0, "trials": 12, "pruned": 2, "period_runs": 8.5,
                            "best": float("nan"), "reached": {}}, rows["processes x2"])
    opt.rivals_table(report, per100, 4.0, 1, None, {"import": 1.0, "first": 2.0, "warm": 0.5,
                                                   "best": {"short": 30, "long": 240}})
    md = report.markdown()
    assert "| rustybt serial | 4 | 2.00 | 50.0 | 0.500 | 50.0% | – | – | 5/100 |" in md
    assert "| rustybt flags off x2 | 4 | 40.00 | 1,000 | 0.500 | – |" in md  # NaN: a dash
    assert "extrapolated from fewer trials than the process pool's 20 for serial (4 trials), " \
        "flags off x2 (4 trials)" in md
    assert "| every flag on vs every flag off (2 workers) | 10.0x | ≥ 20x | no |" in md
    assert "| zipline-reloaded | serial (no optimizer), mean of 1 grid point(s) | 400.0 | " \
        "4.0x faster | 8.0x faster | ≥ 75x |" in md
    assert "| vectorbt | vectorized, 100 pairs at once, warm call | 0.50 | 200x slower |" in md
    assert "backtrader" not in md  # not run: no row
    data = json.loads(report.to_json())
    tables = {t["name"]: t["rows"] for t in data["tables"]}
    assert tables["engine"][2]["hit_rate"] is None and tables["engine"][1]["ready_s"] is None
    assert tables["checks"][0]["value"] == 10.0 and tables["rivals"][1]["first_s"] == 2.0
    assert data["data"]["bayes"]["best"] is None and data["data"]["bayes"]["grid_best"] == 1.25


def test_no_rival_ran_means_no_rivals_table(opt):
    report = ScriptReport("optimization", out=None)
    opt.rivals_table(report, {"processes x2": 100.0, "serial": 50.0}, None, 1, None, None)
    assert report.tables == []
