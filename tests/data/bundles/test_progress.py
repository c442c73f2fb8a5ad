"""The stderr progress bar."""

from __future__ import annotations

import io

from rustybt.data.bundles._progress import Progress


def test_draws_and_finishes_the_line():
    out = io.StringIO()
    with Progress(4, "work", stream=out, interval=0.0) as bar:
        for _ in range(4):
            bar.update()
    text = out.getvalue()
    assert text.endswith("\n") and "work [" in text and "4/4" in text
    assert text.count("4/4") == 1  # the final state is drawn once


def test_disabled_bar_prints_nothing_but_counts():
    out = io.StringIO()
    with Progress(3, "quiet", enabled=False, stream=out) as bar:
        bar.update(2)
    assert out.getvalue() == "" and bar.count == 2
    assert "2/3" in bar.render()


def test_zero_total_renders_full():
    assert "0/0" in Progress(0, "none", enabled=False).render()
