"""Redaction measured on a PII corpus of our own (issue 9, point 3).

``tests/data/pii/corpus.tsv`` (566 sentences, written for the project by a helper who never saw
the rules; the rules were then tuned on it) and ``heldout.tsv`` (written later by another helper
who saw neither the rules nor the first corpus; never used for tuning) hold, per kind, sentences
with one personal datum and the exact ``secret`` that must vanish, and ``none`` sentences that
must come through unchanged. A secret counts as caught only when every non-space character of
it is inside a redacted span (so ``老洪振邦`` → ``[姓名:R01]振邦`` is a miss)."""

from __future__ import annotations

import csv
from collections import defaultdict

import pandas as pd
import pytest

from pipeline.core.privacy import luhn_ok, redact
from pipeline.interviews.redaction import redact_text
from pipeline.interviews.transcripts import normalise
from tests.conftest import ROOT

PII = ROOT / "tests" / "data" / "pii"
ROSTER = {r["name"]: r["informant"] for r in csv.DictReader(open(PII / "roster.csv", encoding="utf-8"))}
NAME_KINDS = ("name", "name_short")


def load(name: str) -> list[dict]:
    with open(PII / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def score(rows: list[dict], redactor) -> dict[str, dict]:
    """Per kind: n and caught (positives) or n and changed (``none``), with the misses."""
    out: dict[str, dict] = defaultdict(lambda: {"n": 0, "ok": 0, "misses": []})
    for r in rows:
        text = normalise(r["text"])
        new, placed = redactor(text)
        covered = {i for _, _, _, a, b in placed for i in range(a, b)}
        if r["kind"] == "none":
            out["none"]["n"] += 1
            out["none"]["ok"] += new == text
            if new != text:
                out["none"]["misses"].append((r["id"], new))
            continue
        for secret in r["secret"].split(" || "):
            secret = normalise(secret)
            i = text.find(secret)
            assert i >= 0, (r["id"], secret)
            caught = all(j in covered for j in range(i, i + len(secret)) if not text[j].isspace())
            out[r["kind"]]["n"] += 1
            out[r["kind"]]["ok"] += caught
            if not caught:
                out[r["kind"]]["misses"].append((r["id"], new))
    return dict(out)


def interview_redactor(text):
    return redact_text(text, ROSTER)


def test_corpus_is_well_formed():
    rows = load("corpus.tsv")
    assert len(rows) >= 420 and len({r["id"] for r in rows}) == len(rows)
    counts = pd.Series([r["kind"] for r in rows]).value_counts()
    assert counts["none"] >= 110 and counts.drop("none").min() >= 15
    cards = [r["secret"] for r in rows if r["kind"] == "bank_card"]
    assert cards and all(luhn_ok("".join(ch for ch in c if ch.isdigit())) for c in cards)


def test_corpus_recall_is_complete_and_plain_text_untouched():
    res = score(load("corpus.tsv"), interview_redactor)
    recall = {k: v["ok"] / v["n"] for k, v in res.items() if k != "none"}
    assert set(recall) == {"mobile", "landline", "id_number", "email", "ip", "wechat", "qq", "bank_card", "plate",
                           "address", "name", "name_short"}
    assert all(r == 1.0 for r in recall.values()), {k: v["misses"][:3] for k, v in res.items() if v["misses"]}
    assert res["none"]["ok"] == res["none"]["n"], res["none"]["misses"]


# measured on first reading (never tuned on): recall 0.874 (187 of 214 secrets), lowest kind 0.75
# (landline, wechat, qq: numbers read out in comma-separated groups), 2 of 119 plain sentences
# changed (an 8-digit invoice number, a 4-part version number)
HELDOUT_FLOORS = {"recall": 0.87, "kind_recall": 0.75, "false_positive": 0.02}


def test_heldout_recall_and_false_positives():
    if not (PII / "heldout.tsv").exists():
        pytest.skip("no held-out corpus")
    res = score(load("heldout.tsv"), interview_redactor)
    pos = {k: v for k, v in res.items() if k != "none"}
    overall = sum(v["ok"] for v in pos.values()) / sum(v["n"] for v in pos.values())
    assert overall >= HELDOUT_FLOORS["recall"]
    assert min(v["ok"] / v["n"] for v in pos.values()) >= HELDOUT_FLOORS["kind_recall"], \
        {k: v["misses"] for k, v in pos.items() if v["misses"]}
    fp = 1 - res["none"]["ok"] / res["none"]["n"]
    assert fp <= HELDOUT_FLOORS["false_positive"], res["none"]["misses"]


def test_survey_answers_get_every_kind_but_roster_names():
    """Open survey answers have no roster: every number, id, address and plate kind is caught by
    :func:`pipeline.core.privacy.redact`, and short forms with a common surname (not full names)."""
    rows = [r for r in load("corpus.tsv") if r["kind"] not in NAME_KINDS]

    def survey_redactor(text):
        from pipeline.core.privacy import _common_short_names, redact_spans

        return redact_spans(text, short_names=_common_short_names())

    res = score(rows, survey_redactor)
    assert all(v["ok"] == v["n"] for v in res.values()), {k: v["misses"][:3] for k, v in res.items() if v["misses"]}
    text, counts = redact("请联系王主任，电话一三八零零一三八零零零，住3号楼2单元501室。")
    assert text == "请联系[姓名]，电话[电话]，住[门牌]。" and counts == {"name_short": 1, "mobile": 1, "address": 1}


def test_names_glued_spaced_and_short(tmp_path):
    names = {"洪振邦": "R01", "欧阳立新": "R02", "邵明": "R05"}
    for text, expected in [
        ("老洪振邦挺热心", "老[姓名:R01]挺热心"),
        ("洪 振 邦来登记", "[姓名:R01]来登记"),
        ("小欧阳说的", "[姓名:R02]说的"),
        ("邵明、洪振邦、欧阳立新都签了", "[姓名:R05]、[姓名:R01]、[姓名:R02]都签了"),
        ("小程序更新了，老人和小区都好", "小程序更新了，老人和小区都好"),
    ]:
        assert redact_text(text, names)[0] == expected


def _secrets(rows) -> list[str]:
    return [normalise(s) for r in rows if r["kind"] != "none" for s in r["secret"].split(" || ")]


def test_no_corpus_secret_reaches_any_interview_output(tmp_path, capsys):
    """Every positive sentence of the corpus as an informant's answers: nothing of it in the
    segments, documents, redactions, cases, codings or the .qdpx (members decompressed)."""
    from pipeline.cli import main
    from tests.test_safety import _decompressed, interview_study

    rows = load("corpus.tsv")
    body = "\n".join(f"受访者：{r['text']}" for r in rows)
    roster = "informant,role,community,name\n" + "".join(
        f"{code},resident,梧桐里,{name}\n" for name, code in ROSTER.items())
    study = interview_study(tmp_path, roster=roster, transcripts={"R01.txt": "访谈者：请讲。\n" + body + "\n"})
    for stage in ("interviews", "code"):
        assert main([stage, "--study", str(study), "--quiet"]) == 0, capsys.readouterr().err
    blobs = {p: _decompressed(p).decode("utf-8", "replace") for p in (tmp_path / "out").rglob("*") if p.is_file()}
    leaks = [(p.name, s) for s in _secrets(rows) for p, b in blobs.items() if s in b]
    assert leaks == []


def test_no_corpus_secret_reaches_survey_outputs(tmp_path, capsys):
    from pipeline.cli import main
    from tests.conftest import write_study
    from tests.test_readers import MINI, wjx_text
    from tests.test_safety import _decompressed

    rows = [r for r in load("corpus.tsv") if r["kind"] not in NAME_KINDS]
    base = wjx_text().iloc[[0]]
    frame = pd.concat([base] * len(rows), ignore_index=True)
    frame["序号"] = range(1, len(rows) + 1)
    frame["8、建议"] = [r["text"] for r in rows]
    frame["来自IP"] = [f"10.0.{i // 250}.{i % 250}(山东-济南)" for i in range(len(rows))]
    frame.to_excel(tmp_path / "survey.xlsx", index=False)
    study = write_study(tmp_path, ["survey.xlsx"], questionnaire=MINI)
    assert main(["ingest", "--study", str(study), "--quiet"]) == 0, capsys.readouterr().err
    blobs = {p: _decompressed(p).decode("utf-8", "replace") for p in (tmp_path / "out").rglob("*") if p.is_file()}
    secrets = [s for s in _secrets(rows) if len(s) >= 4]
    leaks = [(p.name, s) for s in secrets for p, b in blobs.items() if s in b]
    assert leaks == []
