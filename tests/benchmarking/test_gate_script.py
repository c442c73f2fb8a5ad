"""benchmarks/gate.py: it fails when the optimized side is deliberately slowed, else passes.

The margins are wide on purpose (no timed assertion that a loaded machine can break): the
baseline is recorded with the optimized side already doing 50 % extra work, so an honest run
is about 1.5x faster than the record and passes; a run whose optimized side does 200 % extra
work is 2x slower than the record (far past the 10 % and 25 % floors) and fails, also when measured
again. The 10 % edge itself is tested without timing in test_regression.py.
"""

from __future__ import annotations

import json

import pytest
from script_support import load_script

from rustybt.benchmarking.regression import GateBaseline


@pytest.fixture(scope="module")
def gate():
    yield from load_script("gate.py", "rustybt_gate_script")


def test_gate_fails_on_an_injected_slowdown_and_passes_without(gate, tmp_path, capsys):
    path = tmp_path / "gate_baseline.json"
    common = ["--tiny", "--pairs", "5", "--baseline", str(path)]
    assert gate.main([*common, "--record", "--rounds", "1", "--slowdown", "0.5"]) == 0
    recorded = GateBaseline.load(path)
    assert set(recorded.ratios) == {"history_cache", "array_returns", "pre_grouping"}
    assert "--slowdown 0.5" in recorded.command
    capsys.readouterr()

    # every check passes, some maybe on a later attempt: a check measured again prints its
    # first FAIL line and then "measured again: ... ok" (the verdict ends that line)
    assert gate.main([*common, "--json", str(tmp_path / "ok.json")]) == 0
    out = capsys.readouterr().out
    assert "gate passed" in out
    rows = json.loads((tmp_path / "ok.json").read_text())["checks"]
    assert {r["name"] for r in rows} == set(recorded.ratios) and all(r["passed"] for r in rows)
    # each check's own floor: history_cache's speedup drifts with the machine (gate.py)
    assert {r["name"]: r["tolerance"] for r in rows} == {
        "history_cache": gate.HISTORY_CACHE_TOLERANCE, "array_returns": 0.10,
        "pre_grouping": 0.10}
    assert all(r["floor"] == pytest.approx(r["recorded"] * (1 - r["tolerance"])) for r in rows)
    final = [ln for ln in out.splitlines() if " ok  [" in ln or ln.endswith(" ok")]
    assert len(final) == 3

    assert gate.main([*common, "--slowdown", "2", "--json", str(tmp_path / "r.json")]) == 1
    out = capsys.readouterr().out
    for name, ratio in recorded.ratios.items():
        assert f"{name}: speedup " in out and f"{ratio:.2f}x recorded" in out
    assert "gate FAILED" in out
    rows = json.loads((tmp_path / "r.json").read_text())["checks"]
    assert len(rows) == 3
    # a check fails only when every one of its ATTEMPTS measurements does (the tiny workload
    # is noisy: a lucky measurement may pass one check, never all three)
    failed = [r for r in rows if not r["passed"]]
    assert failed and all(len(r["speedups"]) == gate.ATTEMPTS for r in failed)
    assert out.count("measured again") >= (gate.ATTEMPTS - 1) * len(failed)


def test_gate_refuses_a_non_equivalent_optimization(gate, tmp_path, capsys, monkeypatch):
    real = gate.build_checks

    def broken(root, size):
        checks = real(root, size)
        c = checks[1]
        wrong = gate.Check(c.name, c.what, c.items, c.baseline,
                           lambda d: c.optimized(d) * 1.0001, c.same)
        return [wrong]

    monkeypatch.setattr(gate, "build_checks", broken)
    assert gate.main(["--tiny", "--baseline", str(tmp_path / "none.json")]) == 2
    assert "NOT EQUIVALENT: array_returns" in capsys.readouterr().err
