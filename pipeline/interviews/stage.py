"""Stage 4, interviews: transcripts → redacted, segmented, tokenised text
(``interviews/segments.parquet``, ``documents.parquet``, ``redactions.csv``, ``cases.csv``)."""

from __future__ import annotations

import pandas as pd

from pipeline.core.errors import InputError
from pipeline.interviews.redaction import document_name
from pipeline.interviews.roster import case_table, check_codes, read_roster
from pipeline.interviews.segmentation import segment
from pipeline.interviews.transcripts import (
    interviewer_labels,
    label_pattern,
    read_transcript,
    transcript_files,
)


def run(study) -> dict:
    """Run the interviews stage for a loaded :class:`~pipeline.core.study.Study`."""
    from pipeline.interviews.roles import use_study_roles

    use_study_roles(study)  # the study's own role vocabulary, if it has one
    from pipeline.core.stage import progress, write_csv, write_json
    from pipeline.interviews.segmentation import (
        DEFAULT_STOPWORDS,
        DEFAULT_USER_DICT,
        Segmenter,
    )

    cfg = study.config.interviews
    if cfg is None:
        raise InputError("the study has no 'interviews' section", file=study.path, key="interviews")
    folder = study.resolve(cfg.dir)
    roster_path = study.resolve(cfg.roster) if cfg.roster else None
    if roster_path is None:
        raise InputError("interviews need a roster (informant, role, …)", file=study.path, key="interviews.roster")
    roster = read_roster(roster_path)
    names = study.personal_names  # the roster's names and both names lists, prepared once
    check_codes(roster, names, roster_path)
    seg = Segmenter(user_dict=DEFAULT_USER_DICT if DEFAULT_USER_DICT.exists() else None,
                    stopwords=DEFAULT_STOPWORDS if DEFAULT_STOPWORDS.exists() else None)
    # the study's other inputs may live in the transcripts folder: they are not transcripts
    others = [study.resolve(x) for x in [cfg.roster, cfg.names, *cfg.gold_files] if x]
    files = transcript_files(folder, exclude=others)
    parts, red_rows, docs, speakers = [], [], [], []
    label_re, asking = label_pattern(roster), interviewer_labels(roster)
    codes = set(roster["informant"].astype(str))
    by_code = {str(r["informant"]): r for r in roster.to_dict("records")}
    read = [read_transcript(p, roster, names, codes) for p in progress(files, "transcripts")]
    per_informant = pd.Series([tr.informant for tr in read]).value_counts()
    seen: dict[str, int] = {}
    for tr in read:
        several = per_informant[tr.informant] > 1
        seen[tr.informant] = seen.get(tr.informant, 0) + 1
        part = segment(tr, roster, seg, label_re, asking, session=seen[tr.informant] if several else None,
                       cases=by_code)
        parts.append(part)
        speakers += part.attrs.get("speakers", [])
        red_rows += [{"document": tr.document, "informant": tr.informant, "kind": k, "start": a, "end": b,
                      "source_start": sa, "source_end": sb} for k, a, b, sa, sb in tr.redactions]
        docs.append({"document": tr.document, "informant": tr.informant, "encoding": tr.encoding,
                     "characters": len(tr.text), "text": tr.text})
    segments = pd.concat(parts, ignore_index=True)
    redactions = pd.DataFrame(red_rows, columns=["document", "informant", "kind", "start", "end",
                                                 "source_start", "source_end"])
    cases = case_table(roster, [v for v in cfg.case_variables if v in roster.columns or v not in ("role", "community")],
                       roster_path, names)
    attrs = [c for c in cases.columns if c != "informant"]
    for col in ("role", "community"):  # a roster column that is not a case variable never leaves
        if col not in attrs:
            segments[col] = None
    speakers = pd.DataFrame(speakers, columns=["document", "speaker", "interviewer", "informant", "assigned_by",
                                               "turns", "characters"])
    log = {"documents": len(files), "segments": int(len(segments)),
           "interviewer_segments": int(segments["is_interviewer"].sum()),
           "informants": int(segments["informant"].nunique()),
           "redactions": {k: int(v) for k, v in redactions["kind"].value_counts().sort_index().items()},
           "case_attributes": attrs,
           "warnings": speaker_warnings(speakers, docs) + [
               f"role '{v}' is not in the role vocabulary (pipeline/data/roles.yaml): tables show it as written"
               for v in roster.attrs.get("roles_unknown", [])],
           "roles_mapped": dict(sorted(roster.attrs.get("roles_mapped", {}).items())),
           "roster_columns_withheld": [document_name(str(c), names) for c in roster.columns if c not in cases.columns]}
    with study.output("interviews", "interviews", files + [roster_path],
                      label=lambda rel: document_name(study.redact_label(rel), names)) as tmp:
        segments.to_parquet(tmp / "segments.parquet", index=False)
        pd.DataFrame(docs).to_parquet(tmp / "documents.parquet", index=False)
        write_csv(redactions, tmp / "redactions.csv")
        write_csv(cases, tmp / "cases.csv")
        write_csv(speakers, tmp / "speakers.csv")
        write_json(log, tmp / "interviews_log.json")
    return log


def speaker_warnings(speakers: pd.DataFrame, docs: list[dict]) -> list[str]:
    """What a researcher should check about who speaks: a transcript with one labelled speaker only
    (the interviewer's questions may be coded as the informant's words), most text without a
    speaker label, or speakers whose role was guessed (say it in the front matter: ``speakers:``)."""
    out = []
    for d in docs:
        sp = speakers[speakers["document"] == d["document"]]
        labelled = sp[sp["assigned_by"] != "no label"]
        if len(labelled) == 1:  # labels found, but only one speaker's (a text without any is a field note)
            out.append(f"{d['document']}: only one speaker found ({labelled['speaker'].iloc[0]}) — check the "
                       "speaker labels (interviewer questions may be counted as the informant's)")
        total = int(sp["characters"].sum())
        if total and sp.loc[sp["assigned_by"] == "no label", "characters"].sum() > total / 2 and len(labelled):
            out.append(f"{d['document']}: most text has no speaker label")
        guessed = sp[sp["assigned_by"] == "guess"]
        if len(guessed):
            asker = guessed.loc[guessed["interviewer"], "speaker"].tolist()
            out.append(f"{d['document']}: speakers {guessed['speaker'].tolist()} guessed"
                       + (f" ({asker[0]} asks most questions: taken as the interviewer)" if asker else "")
                       + "; say who is who in the front matter, e.g. speakers: {说话人1: interviewer, 说话人2: R03}")
    return out


def summary(log: dict) -> str:
    """The counts, and a line for each transcript whose speakers need a look."""
    lines = [f"interviews: {log['documents']} transcripts, {log['informants']} informants, {log['segments']} segments "
             f"({log['interviewer_segments']} by the interviewer); redacted: {log['redactions'] or 'nothing'}"]
    lines += [f"  warning: {w}" for w in log.get("warnings", [])]
    return "\n".join(lines)
