"""REFI-QDA exchange (.qdpx): schema-valid, deterministic export; round trip of texts and codings
(code points, non-BMP characters); import of another tool's project; bad archives."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest

from pipeline.core.errors import InputError
from pipeline.interviews import roster as iv_roster
from pipeline.interviews import transcripts as iv_transcripts
from pipeline.interviews.codebook import load_codebook
from pipeline.interviews.qdpx import (
    code_guid,
    export_qdpx,
    read_qde,
    read_qdpx,
    validate_qde,
)

from .conftest import DATA, ROOT, SHARED

XSD = SHARED / "refi" / "Project.xsd"
needs_xsd = pytest.mark.skipif(not XSD.exists(), reason="../shared/external/refi/Project.xsd absent")
TRANSCRIPTS = ROOT / "examples" / "demo" / "transcripts"
KEYS = ["document", "start", "end", "code", "coder"]

# 𠮷 (U+20BB7) is outside the BMP: one code point, two UTF-16 units
T1 = "访谈者:资金怎么解决?\n受访者:𠮷祥里的财政补贴不够,居民出资难;还得靠社会资本。"
T2 = "改造完以后没人管,物业撤场了。\r\n楼道灯坏了也没人修。😀大家在议事会上商量。"


def span(text: str, piece: str) -> tuple[int, int]:
    a = text.index(piece)
    return a, a + len(piece)


@pytest.fixture(scope="module")
def book():
    return load_codebook(DATA / "coding_schemes" / "renewal_governance.yaml")


@pytest.fixture(scope="module")
def small():
    docs = pd.DataFrame({"document": ["G1.txt", "R03.md"], "informant": ["G1", "R03"], "text": [T1, T2]})
    cases = pd.DataFrame({"informant": ["R03", "G1", "Y09"], "role": ["resident", "street_office", "owners_committee"],
                          "community": ["纺织厂宿舍", "全区", "红星苑"], "gender": ["女", "男", None],
                          "name": ["王秀英", "李建国", "赵敏"]})
    rows = [("G1.txt", *span(T1, "财政补贴不够"), "funding_pressure", "pipeline"),
            ("G1.txt", *span(T1, "财政补贴不够"), "funding_pressure", "ZBY"),
            ("G1.txt", *span(T1, "居民出资难"), "low_participation", "ZBY"),
            ("G1.txt", *span(T1, "还得靠社会资本"), "market_operation", "pipeline"),
            ("G1.txt", *span(T1, "还得靠社会资本"), "funding_pressure", "pipeline"),
            ("R03.md", *span(T2, "改造完以后没人管,物业撤场了。"), "long_term_management", "pipeline"),
            ("R03.md", *span(T2, "大家在议事会上商量。"), "resident_deliberation", "ZBY")]
    codings = pd.DataFrame(rows, columns=KEYS)
    return docs, cases, codings


def sorted_keys(df: pd.DataFrame) -> pd.DataFrame:
    return df[KEYS].sort_values(KEYS, kind="stable").reset_index(drop=True)


def test_export_writes_sources_and_round_trips(tmp_path, book, small):
    docs, cases, codings = small
    info = export_qdpx(tmp_path / "p.qdpx", docs, cases, book, codings, project_name="小测试")
    assert (info["sources"], info["cases"], info["variables"], info["codings"]) == (2, 3, 3, 7)
    assert info["users"] == ["ZBY", "pipeline"] and info["selections"] == 6
    with zipfile.ZipFile(tmp_path / "p.qdpx") as z:
        names = z.namelist()
        assert names == sorted(names) and "project.qde" in names
        texts = {z.read(n).decode("utf-8") for n in names if n.startswith("Sources/") and n.endswith(".txt")}
        qde = z.read("project.qde").decode("utf-8")
    assert texts == {T1, T2}  # stored exactly, \r\n and non-BMP included
    assert "王秀英" not in qde and "李建国" not in qde  # the roster's name column never leaves
    assert 'name="资金压力 funding_pressure"' in qde and 'isCodable="false"' in qde

    back = read_qdpx(tmp_path / "p.qdpx", book)
    pd.testing.assert_frame_equal(sorted_keys(back["codings"]), sorted_keys(codings))
    assert dict(zip(back["documents"]["document"], back["documents"]["text"])) == {"G1.txt": T1, "R03.md": T2}
    assert dict(zip(back["documents"]["document"], back["documents"]["informant"])) == {"G1.txt": "G1", "R03.md": "R03"}
    assert back["unmapped"] == [] and back["warnings"] == []
    assert sorted(back["users"]) == ["ZBY", "pipeline"]
    c = back["cases"].set_index("informant")
    assert c.loc["R03", "community"] == "纺织厂宿舍" and pd.isna(c.loc["Y09", "gender"])
    assert "name" not in back["cases"].columns
    # offsets are code points: the coded text after 𠮷 / 😀 is exactly the intended piece
    by = back["codings"].set_index("code")
    s = by.loc["resident_deliberation"]
    assert T2[s["start"]:s["end"]] == "大家在议事会上商量。"
    assert (by["code_name"].loc["resident_deliberation"]) == "议事协商 resident_deliberation"


def test_utf16_positions_are_converted(tmp_path, book, small):
    docs, cases, codings = small
    g1 = codings[codings["document"] == "G1.txt"]
    export_qdpx(tmp_path / "p.qdpx", docs, cases, book, g1, project_name="t")
    cp = read_qdpx(tmp_path / "p.qdpx", book)["codings"]
    # read as UTF-16 units, offsets after 𠮷 move back by one (a tool counting UTF-16 writes one more)
    u16 = read_qdpx(tmp_path / "p.qdpx", book, positions="utf16")["codings"]
    assert (u16["start"] == cp["start"] - 1).all() and (u16["end"] == cp["end"] - 1).all()
    # "大家…" starts right after 😀: as a UTF-16 offset that position falls inside the surrogate pair
    export_qdpx(tmp_path / "r.qdpx", docs, cases, book, codings, project_name="t")
    with pytest.raises(InputError, match="splits a character"):
        read_qdpx(tmp_path / "r.qdpx", book, positions="utf16")


def test_double_export_is_byte_identical(tmp_path, book, small):
    docs, cases, codings = small
    a = export_qdpx(tmp_path / "a.qdpx", docs, cases, book, codings, project_name="p")
    b = export_qdpx(tmp_path / "b.qdpx", docs.iloc[::-1], cases.iloc[::-1], book,
                    pd.concat([codings.iloc[::-1], codings.iloc[:2]]), project_name="p")  # order, duplicates
    assert b["duplicates_dropped"] == 2
    assert (tmp_path / "a.qdpx").read_bytes() == (tmp_path / "b.qdpx").read_bytes()
    assert a["sha256"] == b["sha256"]
    with zipfile.ZipFile(tmp_path / "a.qdpx") as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.external_attr >> 16 for i in z.infolist()} == {0o100644}
    other = export_qdpx(tmp_path / "c.qdpx", docs, cases, book, codings, project_name="p",
                        created="2024-06-01T08:00:00+08:00")
    assert other["sha256"] != a["sha256"]


@needs_xsd
def test_export_validates_against_the_schema(tmp_path, book, small):
    docs, cases, codings = small
    export_qdpx(tmp_path / "p.qdpx", docs, cases, book, codings, project_name="p")
    assert validate_qde(read_qde(tmp_path / "p.qdpx"), XSD) == []
    # no roster, no codings: still valid (empty Variables/Cases sections are left out)
    export_qdpx(tmp_path / "q.qdpx", docs.drop(columns="informant"), None, book, None, project_name="p")
    assert validate_qde(read_qde(tmp_path / "q.qdpx"), XSD) == []


@needs_xsd
def test_validate_reports_schema_and_reference_errors(tmp_path, book, small):
    docs, cases, codings = small
    export_qdpx(tmp_path / "p.qdpx", docs, cases, book, codings, project_name="p")
    qde = read_qde(tmp_path / "p.qdpx").decode("utf-8")
    swapped = qde.replace("<Users>", "<Usersx>").replace("</Users>", "</Usersx>")
    assert any("Usersx" in e for e in validate_qde(swapped.encode(), XSD))
    dangling = qde.replace(code_guid(book.id, "market_operation"), "00000000-0000-0000-0000-000000000000", 1)
    assert any("CodeRef" in e or "no Code" in e for e in validate_qde(dangling.encode(), XSD))
    assert validate_qde(b"<Project", XSD)[0].startswith("not well-formed")


def test_gold_codes_two_coders(tmp_path, book):
    """The human coder's gold codes of the demo transcripts plus a second coder: both come back."""
    roster = iv_roster.read_roster(TRANSCRIPTS / "informants.csv")
    names = {n: code for n, code in zip(roster["name"], roster["informant"]) if n}
    gold = pd.read_csv(TRANSCRIPTS / "gold_codes.csv", encoding="utf-8-sig")
    trs = [iv_transcripts.read_transcript(TRANSCRIPTS / d, roster, names) for d in sorted(gold["document"].unique())]
    docs = pd.DataFrame({"document": [t.document for t in trs], "informant": [t.informant for t in trs],
                         "text": [t.text for t in trs]})
    second = gold.iloc[::3].assign(coder="coder_b")
    codings = pd.concat([gold.assign(coder="gold"), second], ignore_index=True)
    info = export_qdpx(tmp_path / "gold.qdpx", docs, roster, book, codings, project_name="gold", user="gold")
    assert info["users"] == ["coder_b", "gold"] and info["codings"] == len(codings)
    if XSD.exists():
        assert validate_qde(read_qde(tmp_path / "gold.qdpx"), XSD) == []
    back = read_qdpx(tmp_path / "gold.qdpx", book)
    pd.testing.assert_frame_equal(sorted_keys(back["codings"]), sorted_keys(codings))
    assert back["documents"]["text"].tolist() == docs["text"].tolist()
    assert "name" not in back["cases"].columns
    assert not any(n in read_qde(tmp_path / "gold.qdpx").decode() for n in names)


FOREIGN_QDE = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="NVivo 项目" origin="QualCoder 3.5" basePath="C:/Users/x">
  <Users>
    <User guid="{{AAAAAAAA-0000-4000-8000-000000000001}}" name="李老师"/>
    <User guid="aaaaaaaa-0000-4000-8000-000000000002" name="coder2"/>
  </Users>
  <CodeBook><Codes>
    <Code guid="10000000-0000-4000-8000-000000000001" name="问题" isCodable="true">
      <Code guid="10000000-0000-4000-8000-000000000002" name="资金压力" isCodable="true"/>
      <Code guid="10000000-0000-4000-8000-000000000003" name="Lack of long-term management" isCodable="true"/>
      <Code guid="10000000-0000-4000-8000-000000000004" name="其他感受" isCodable="true"/>
    </Code>
    <Code guid="10000000-0000-4000-8000-000000000005" name="议事 resident_deliberation" isCodable="true"/>
    <Code guid="10000000-0000-4000-8000-000000000006" name="party_leadership" isCodable="true"/>
    <Code guid="10000000-0000-4000-8000-000000000007" name="改名了" isCodable="true">
      <Description>id: satisfaction</Description></Code>
  </Codes></CodeBook>
  <Variables><Variable guid="30000000-0000-4000-8000-000000000001" name="社区" typeOfVariable="Text"/></Variables>
  <Cases><Case guid="40000000-0000-4000-8000-000000000001" name="R01">
    <VariableValue><VariableRef targetGUID="30000000-0000-4000-8000-000000000001"/><TextValue>红星苑</TextValue></VariableValue>
    <SourceRef targetGUID="20000000-0000-4000-8000-000000000001"/>
  </Case></Cases>
  <Sources>
    <TextSource guid="20000000-0000-4000-8000-000000000001" name="访谈一" plainTextPath="internal://20000000-0000-4000-8000-000000000001.txt">
      <PlainTextSelection guid="50000000-0000-4000-8000-000000000001" name="a" startPosition="{a1}" endPosition="{b1}" creatingUser="aaaaaaaa-0000-4000-8000-000000000001">
        <Coding guid="60000000-0000-4000-8000-000000000001"><CodeRef targetGUID="10000000-0000-4000-8000-000000000002"/></Coding>
        <Coding guid="60000000-0000-4000-8000-000000000002" creatingUser="AAAAAAAA-0000-4000-8000-000000000002"><CodeRef targetGUID="{{10000000-0000-4000-8000-000000000004}}"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <TextSource guid="20000000-0000-4000-8000-000000000002" name="访谈二" plainTextPath="relative://transcripts/two.txt">
      <PlainTextSelection guid="50000000-0000-4000-8000-000000000002" startPosition="{a2}" endPosition="{b2}" creatingUser="aaaaaaaa-0000-4000-8000-000000000002">
        <Coding guid="60000000-0000-4000-8000-000000000003"><CodeRef targetGUID="10000000-0000-4000-8000-000000000003"/></Coding>
        <Coding guid="60000000-0000-4000-8000-000000000004"><CodeRef targetGUID="10000000-0000-4000-8000-000000000005"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <TextSource guid="20000000-0000-4000-8000-000000000003" name="备忘">
      <PlainTextContent>{t3}</PlainTextContent>
      <PlainTextSelection guid="50000000-0000-4000-8000-000000000003" startPosition="0" endPosition="4" creatingUser="aaaaaaaa-0000-4000-8000-000000000002">
        <Coding guid="60000000-0000-4000-8000-000000000005"><CodeRef targetGUID="10000000-0000-4000-8000-000000000006"/></Coding>
        <Coding guid="60000000-0000-4000-8000-000000000006"><CodeRef targetGUID="10000000-0000-4000-8000-000000000007"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <PictureSource guid="20000000-0000-4000-8000-000000000004" name="照片" path="internal://p.jpg"/>
  </Sources>
</Project>
"""
T3 = "党建引领,大家满意"


def write_zip(path, entries: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)


def foreign(**kw) -> str:
    a1, b1 = span(T1, "财政补贴不够")
    a2, b2 = span(T2, "改造完以后没人管")
    values = {"a1": a1, "b1": b1, "a2": a2, "b2": b2, "t3": T3} | kw
    return FOREIGN_QDE.format(**values)


def test_import_foreign_project(tmp_path, book):
    p = tmp_path / "nvivo.qdpx"
    write_zip(p, {"project.qde": foreign().encode("utf-8"),
                  "sources/20000000-0000-4000-8000-000000000001.txt": b"\xef\xbb\xbf" + T1.encode("utf-8"),
                  "Sources/two.txt": T2.encode("utf-8")})
    r = read_qdpx(p, book)
    got = r["codings"]
    exp = pd.DataFrame([("访谈一", *span(T1, "财政补贴不够"), "funding_pressure", "李老师"),
                        ("访谈一", *span(T1, "财政补贴不够"), "其他感受", "coder2"),
                        ("访谈二", *span(T2, "改造完以后没人管"), "long_term_management", "coder2"),
                        ("访谈二", *span(T2, "改造完以后没人管"), "resident_deliberation", "coder2"),
                        ("备忘", 0, 4, "party_leadership", "coder2"),
                        ("备忘", 0, 4, "satisfaction", "coder2")], columns=KEYS)
    pd.testing.assert_frame_equal(sorted_keys(got), sorted_keys(exp))
    assert [u["name"] for u in r["unmapped"]] == ["其他感受"]
    assert r["unmapped"][0]["codings"] == 1 and r["unmapped"][0]["reason"] == "not in the codebook"
    how = dict(zip(r["codes"]["name"], r["codes"]["matched_by"]))
    assert how == {"问题": "zh label", "资金压力": "zh label", "Lack of long-term management": "en label",
                   "其他感受": "", "议事 resident_deliberation": "label id", "party_leadership": "id",
                   "改名了": "description id"}
    texts = dict(zip(r["documents"]["document"], r["documents"]["text"]))
    assert texts == {"访谈一": T1, "访谈二": T2, "备忘": T3}
    assert r["documents"].set_index("document").loc["访谈一", "informant"] == "R01"
    assert r["cases"].to_dict("records") == [{"informant": "R01", "社区": "红星苑"}]
    assert any("PictureSource" in w for w in r["warnings"])
    assert r["project"]["origin"] == "QualCoder 3.5"


def test_import_without_codebook_uses_description_ids(tmp_path, book, small):
    docs, cases, codings = small
    export_qdpx(tmp_path / "p.qdpx", docs, cases, book, codings, project_name="p")
    r = read_qdpx(tmp_path / "p.qdpx")
    pd.testing.assert_frame_equal(sorted_keys(r["codings"]), sorted_keys(codings))
    assert r["unmapped"] == []


def test_ambiguous_or_missing_names_stay_unmapped(book):
    from pipeline.interviews.qdpx import map_code
    assert map_code("资金压力 funding_pressure", None, "", book)[:2] == ("funding_pressure", "code")
    assert map_code("overall satisfaction", None, "", book)[0] is None  # Latin words are not a label
    assert map_code("满意度", "{" + code_guid(book.id, "funding_pressure").upper() + "}", "", book)[0] \
        == "funding_pressure"  # our GUID wins over the name


@pytest.mark.parametrize("case, message", [
    ("not_zip", "not a zip"),
    ("no_qde", "no project.qde"),
    ("bad_xml", "not well-formed"),
    ("not_project", "not a REFI-QDA"),
    ("outside", "outside the text"),
    ("reversed", "outside the text"),
    ("not_int", "not a whole number"),
    ("missing_text", "not in the archive"),
    ("dangling_code", "points to code"),
    ("not_utf8", "not UTF-8"),
])
def test_bad_archives_raise_input_error(tmp_path, book, case, message):
    p = tmp_path / f"{case}.qdpx"
    good_sources = {"Sources/20000000-0000-4000-8000-000000000001.txt": T1.encode("utf-8"),
                    "Sources/two.txt": T2.encode("utf-8")}
    if case == "not_zip":
        p.write_bytes(b"PK not really a zip")
    elif case == "no_qde":
        write_zip(p, good_sources)
    elif case == "bad_xml":
        write_zip(p, {"project.qde": foreign()[:-40].encode("utf-8")} | good_sources)
    elif case == "not_project":
        write_zip(p, {"project.qde": b"<Codes/>"} | good_sources)
    elif case == "outside":
        write_zip(p, {"project.qde": foreign(b1=len(T1) + 1).encode("utf-8")} | good_sources)
    elif case == "reversed":
        write_zip(p, {"project.qde": foreign(a1=5, b1=3).encode("utf-8")} | good_sources)
    elif case == "not_int":
        write_zip(p, {"project.qde": foreign(a1="x").encode("utf-8")} | good_sources)
    elif case == "missing_text":
        write_zip(p, {"project.qde": foreign().encode("utf-8"), "Sources/two.txt": T2.encode("utf-8")})
    elif case == "dangling_code":
        qde = foreign().replace('<CodeRef targetGUID="10000000-0000-4000-8000-000000000003"/>',
                                '<CodeRef targetGUID="10000000-0000-4000-8000-0000000000ff"/>')
        write_zip(p, {"project.qde": qde.encode("utf-8")} | good_sources)
    elif case == "not_utf8":
        write_zip(p, {"project.qde": foreign().encode("utf-8"), "Sources/two.txt": T2.encode("gb18030"),
                      "Sources/20000000-0000-4000-8000-000000000001.txt": T1.encode("utf-8")})
    with pytest.raises(InputError, match=message) as e:
        read_qdpx(p, book)
    assert str(p) in str(e.value)


def test_missing_file_raises_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_qdpx(tmp_path / "none.qdpx")


@pytest.mark.parametrize("change, message", [
    (lambda c: c.assign(code=["no_such_code"] + c["code"].tolist()[1:]), "not in the codebook"),
    (lambda c: c.assign(end=[10_000] + c["end"].tolist()[1:]), "not inside the text"),
    (lambda c: c.assign(document=["X.txt"] + c["document"].tolist()[1:]), "not among the documents"),
    (lambda c: c.drop(columns="start"), "missing column"),
])
def test_bad_export_inputs_raise_input_error(tmp_path, book, small, change, message):
    docs, cases, codings = small
    with pytest.raises(InputError, match=message):
        export_qdpx(tmp_path / "p.qdpx", docs, cases, book, change(codings), project_name="p")
    assert not (tmp_path / "p.qdpx").exists()


def test_zip_entries_readable_by_zipfile_only_as_qdpx(tmp_path, book, small):
    """Sanity: the archive is an ordinary zip that other tools open (no directories, deflated)."""
    docs, cases, codings = small
    export_qdpx(tmp_path / "p.qdpx", docs, cases, book, codings, project_name="p")
    z = zipfile.ZipFile(io.BytesIO((tmp_path / "p.qdpx").read_bytes()))
    assert z.testzip() is None
    assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in z.infolist())


def test_demo_project_validates_round_trips_and_serves_as_gold(demo_interviews, tmp_path):
    from pipeline.interviews.agreement import evaluate, read_spans
    from pipeline.interviews.codebook import load_codebook

    st = demo_interviews
    out, iv = st.stage_dir("coding"), st.stage_dir("interviews")
    qdpx = out / "project.qdpx"
    if XSD.exists():
        assert validate_qde(read_qde(qdpx), XSD) == []
    book = load_codebook(st.definition("coding_scheme"))
    got = read_qdpx(qdpx, book)
    assert got["unmapped"] == []
    docs = pd.read_parquet(iv / "documents.parquet")
    assert dict(zip(got["documents"]["document"], got["documents"]["text"])) == dict(zip(docs["document"], docs["text"]))
    key = ["document", "start", "end", "code"]
    mine = pd.read_parquet(out / "codings.parquet")[key].drop_duplicates().sort_values(key).reset_index(drop=True)
    back = got["codings"]
    theirs = back[back["coder"] == "pipeline"][key].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, theirs, check_dtype=False)
    assert set(back["coder"]) == {"pipeline", "gold_codes", "gold_codes_coder2"}
    # the exported gold coders, read back from the .qdpx (text = the pipeline's, so no offset
    # mapping), agree with the pipeline exactly as the CSV gold files do
    texts = dict(zip(docs["document"], docs["text"]))
    reds = pd.read_csv(iv / "redactions.csv", encoding="utf-8-sig")
    from_qdpx = read_spans(qdpx, texts, reds, book)
    from_qdpx = from_qdpx[from_qdpx["coder"] != "pipeline"]
    segs = pd.read_parquet(iv / "segments.parquet")
    codings = pd.read_parquet(out / "codings.parquet")
    _, summary = evaluate(segs, codings, from_qdpx, list(book.codes))
    csv_summary = pd.read_csv(out / "agreement.csv", encoding="utf-8-sig")
    assert summary["macro_f1"].round(12).tolist() == csv_summary["macro_f1"].round(12).tolist()


def test_no_personal_data_in_demo_outputs(demo_interviews):
    """Planted phone numbers, the ID number, e-mails and every roster name: in no output file,
    including the values of the (compressed) Parquet files and the members of the .qdpx archive."""
    import zipfile

    from .conftest import ROOT

    roster = pd.read_csv(ROOT / "examples/demo/transcripts/informants.csv", encoding="utf-8-sig")
    secrets = ["13912345678", "150-0000-1234", "186 0000 5678", "13700112233", "370999195103120425",
               "gongwt.studio@example.com", "kongds.parking@example.org", *roster["name"]]
    blobs = []
    for p in sorted(demo_interviews.out.rglob("*")):
        if p.is_file():
            blobs.append(p.read_bytes())
            if p.suffix == ".parquet":  # compressed: look at the values
                blobs.append(pd.read_parquet(p).to_csv().encode())
            if p.suffix == ".qdpx":
                with zipfile.ZipFile(p) as z:
                    blobs += [z.read(n) for n in z.namelist()]
    assert len(blobs) > 10
    for secret in secrets:
        for b in blobs:
            assert secret.encode() not in b, secret
