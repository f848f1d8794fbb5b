"""The default codebook on held-out texts written from the code definitions only
(tests/data/heldout/README.md): a floor under generalisation, not a tuning target."""

from __future__ import annotations

import pandas as pd

from pipeline.core.resources import CODING_SCHEMES
from pipeline.interviews.agreement import compare
from pipeline.interviews.codebook import load_codebook
from pipeline.interviews.coding import Coder

from .conftest import ROOT


def test_default_codebook_on_heldout_texts():
    book = load_codebook(CODING_SCHEMES / "renewal_governance.yaml")
    coder = Coder(book)
    texts = pd.read_csv(ROOT / "tests/data/heldout/texts.csv", encoding="utf-8-sig", keep_default_na=False)
    assert len(texts) == 40
    ref = pd.DataFrame([(r.id, c) for r in texts.itertuples() for c in r.codes.split()], columns=["segment_id", "code"])
    got = pd.DataFrame([(r.id, c["code"]) for r in texts.itertuples() for c in coder.code_text(r.text)],
                       columns=["segment_id", "code"])
    per_code, s = compare(ref, got, texts["id"].tolist(), list(book.codes))
    # measured with codebook v2: macro P 0.86, R 0.61, F1 0.66; problem codes micro F1 0.66;
    # v3 (plain-speech rules from pipeline/data/coding_schemes/examples/devtalk): P 0.86, R 0.74, F1 0.74
    assert s["macro_precision"] >= 0.84 and s["macro_f1"] >= 0.72
    problems = [c for c, (theme, _) in book.codes.items() if theme.id == "problems"]
    p = per_code[per_code["code"].isin(problems)]
    assert p["tp"].sum() / (p["tp"].sum() + p["fn"].sum()) >= 0.5  # recall of the problem codes
    # texts that carry no problem code must not get many: at most one false problem code among them
    none = set(texts.loc[~texts["codes"].str.split().map(lambda cs: any(c in problems for c in cs)), "id"])
    assert got[got["segment_id"].isin(none) & got["code"].isin(problems)].shape[0] <= 1
