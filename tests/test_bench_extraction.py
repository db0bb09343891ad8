"""Tests for the paired bootstrap interval of bench/extraction.py, on made-up page scores."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


def _bench() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "bench" / "extraction.py"
    spec = importlib.util.spec_from_file_location("bench_extraction", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


BENCH = _bench()
PERFECT = (1.0, 0.0, 0.0)
HALF = (0.5, 0.25, 0.25)


def test_the_same_extractor_differs_by_nothing() -> None:
    pages = [PERFECT, HALF, PERFECT, HALF] * 10
    assert BENCH.paired_interval(pages, pages) == (0.0, 0.0, 0.0)


def test_a_better_extractor_on_every_page_is_above_zero() -> None:
    better = [PERFECT] * 40
    worse = [HALF] * 40
    difference, low, high = BENCH.paired_interval(better, worse)
    assert difference > 0 and 0 < low <= difference <= high


def test_a_difference_on_one_page_in_forty_straddles_zero() -> None:
    ours = [PERFECT] * 40
    theirs = [HALF] + [PERFECT] * 39
    difference, low, high = BENCH.paired_interval(ours, theirs)
    assert difference > 0 and low == 0.0 < high


def test_the_pages_must_pair() -> None:
    with pytest.raises(ValueError, match="equally long"):
        BENCH.paired_interval([PERFECT], [PERFECT, HALF])
