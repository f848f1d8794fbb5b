"""REFI-QDA project exchange (``.qdpx``): hand the coded interviews to NVivo, ATLAS.ti, MAXQDA or
QualCoder, and read a project coded there back.

A ``.qdpx`` is a zip holding ``project.qde`` (XML in the namespace ``urn:QDA-XML:project:1.0``,
schema ``Project.xsd`` of QDA-XML 1.0) and a ``Sources/`` folder with the plain texts. The export
writes, in the order the schema's sequence requires: Users (one per coder), CodeBook (themes
holding codes), Variables (the roster's columns, all ``Text``), Cases (one per informant, with
their variable values and their sources) and Sources (one TextSource per transcript, its text in
``Sources/<guid>.txt``, its codings as PlainTextSelection → Coding → CodeRef).

Choices, so that a project comes back as it went out:

- Positions are Unicode code points of the stored text (Python ``str`` indices), the offsets the
  pipeline uses everywhere; a tool that counts UTF-16 units differs only after characters outside
  the BMP (𠮷…), and :func:`read_qdpx` can convert with ``positions="utf16"``.
- A code is named ``"<zh label> <id>"`` (``资金压力 funding_pressure``): readable in the tools and
  still carrying the id. Its Description starts with ``id: <id>`` and holds the English label,
  definition, inclusion and exclusion notes. Themes are codes with ``isCodable="false"``: the
  codebook codes segments with its codes only, and a coding on a theme could not come back as a
  code id.
- Import maps a code to a codebook id by our GUID, then by name (the id itself, ``label id``
  form, the zh label, the en label), then by the ``id:`` line of its Description; a code that
  maps to nothing keeps its name and is listed in ``unmapped``.
- Export is deterministic: GUIDs are ``uuid5`` of stable names (code and theme GUIDs of the
  codebook id and code id, everything else of the project name, kind and id), times are the
  ``created`` argument, zip entries are sorted with a fixed date (1980-01-01) and permissions.
  Two exports of the same inputs are byte-identical.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import uuid
import zipfile
from datetime import datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import pandas as pd
from lxml import etree

from pipeline.core.errors import InputError
from pipeline.core.stage import fixed_zip
from pipeline.interviews.codebook import Codebook, load_codebook

QDA_NS = "urn:QDA-XML:project:1.0"
# the namespace of every GUID this module derives; changing it changes every exported GUID
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:renewal-pipeline:refi-qda")
# Okabe–Ito colours, one per theme (its codes share it); readable for colour-blind coders
PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7", "#F0E442", "#999999")
NAME_EXCERPT = 40  # characters of the selected text used as a selection's name

_GUID_RE = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")
_ID_TOKEN = re.compile(r"^[a-z][a-z0-9_]*$")
_XML_BAD = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# ---- GUIDs and small helpers -----------------------------------------------------------------

def stable_guid(*parts: object) -> str:
    """A GUID (uuid5 in :data:`GUID_NAMESPACE`) of the parts joined by a separator."""
    return str(uuid.uuid5(GUID_NAMESPACE, "\x1f".join(str(p) for p in parts)))


def code_guid(codebook_id: str, code_id: str) -> str:
    """The GUID an exported code gets: the same in every project made with that codebook."""
    return stable_guid("codebook", codebook_id, "code", code_id)


def theme_guid(codebook_id: str, theme_id: str) -> str:
    return stable_guid("codebook", codebook_id, "theme", theme_id)


def code_name(label_zh: str, code_id: str) -> str:
    """The name a code or theme gets in the project: zh label, a space, the id."""
    return f"{label_zh} {code_id}" if label_zh else code_id


def _norm_guid(g: str | None) -> str | None:
    if g is None:
        return None
    m = _GUID_RE.match(g.strip())
    return m.group(1).lower() if m else g.strip().lower()


def _norm_name(s: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", s).split())


def _xml_text(s: str) -> str:
    """Text with the characters XML 1.0 cannot hold removed."""
    return _XML_BAD.sub("", s)


def _check_datetime(value: str) -> str:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"created='{value}' is not an ISO 8601 date-time such as 2024-01-01T00:00:00Z") from None
    if "T" not in value:
        raise ValueError(f"created='{value}' needs a time (xsd:dateTime), e.g. {value}T00:00:00Z")
    return value


# ---- checking the inputs ---------------------------------------------------------------------

def _need(df: pd.DataFrame, cols: list[str], key: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}", key=key, hint=f"columns: {list(df.columns)}")


def _documents(documents: pd.DataFrame) -> pd.DataFrame:
    _need(documents, ["document", "text"], "documents")
    if documents.empty:
        raise InputError("there are no documents to export", key="documents")
    out = pd.DataFrame({"document": documents["document"].astype(str).to_numpy(),
                        "text": documents["text"].to_numpy(),
                        "informant": (documents["informant"].to_numpy() if "informant" in documents.columns
                                      else [None] * len(documents))})
    for i, (doc, text) in enumerate(zip(out["document"], out["text"])):
        if not isinstance(text, str):
            raise InputError("the text is not a string", key="documents", row=i + 1, column="text", value=doc)
    dup = out["document"][out["document"].duplicated()]
    if len(dup):
        raise InputError("document name appears twice", key="documents", row=int(dup.index[0]) + 1,
                         column="document", value=dup.iloc[0])
    return out.sort_values("document", kind="stable").reset_index(drop=True)


def _codings(codings: pd.DataFrame | None, texts: dict[str, str], book: Codebook,
             user: str) -> tuple[pd.DataFrame, int]:
    cols = ["document", "start", "end", "code", "coder"]
    if codings is None or codings.empty:
        return pd.DataFrame(columns=cols), 0
    _need(codings, ["document", "start", "end", "code"], "codings")
    who = "coder" if "coder" in codings.columns else "user" if "user" in codings.columns else None
    coder = codings[who] if who else pd.Series([None] * len(codings), index=codings.index)
    rows = []
    for i, (doc, a, b, code, c) in enumerate(zip(codings["document"], codings["start"], codings["end"],
                                                 codings["code"], coder)):
        doc = str(doc)
        if doc not in texts:
            raise InputError("the coding names a document that is not among the documents", key="codings",
                             row=i + 1, column="document", value=doc)
        if str(code) not in book.codes:
            raise InputError("the code is not in the codebook", key="codings", row=i + 1, column="code", value=code,
                             hint=f"codebook '{book.id}'")
        try:
            a, b = int(a), int(b)
        except (TypeError, ValueError):
            raise InputError("start and end must be whole numbers", key="codings", row=i + 1,
                             value=f"{a}-{b}") from None
        n = len(texts[doc])
        if not 0 <= a < b <= n:
            raise InputError(f"the segment {a}-{b} is not inside the text (0-{n} characters)", key="codings",
                             row=i + 1, column="start", value=doc)
        name = user if c is None or (not isinstance(c, str) and pd.isna(c)) or str(c).strip() == "" else str(c)
        rows.append((doc, a, b, str(code), name))
    out = pd.DataFrame(rows, columns=cols)
    deduped = out.drop_duplicates().sort_values(["document", "start", "end", "coder", "code"], kind="stable")
    return deduped.reset_index(drop=True), len(out) - len(deduped)


def _roster(cases: pd.DataFrame | None, docs: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """One row per informant (roster order, then informants only the documents name), the variable
    columns (the roster's, without ``informant`` and ``name``)."""
    if cases is None:
        roster = pd.DataFrame({"informant": pd.Series([], dtype=object)})
    else:
        _need(cases, ["informant"], "cases")
        roster = cases.drop(columns=[c for c in cases.columns if str(c).strip().lower() == "name"])
        roster = roster.assign(informant=roster["informant"].astype(str)).reset_index(drop=True)
        dup = roster["informant"][roster["informant"].duplicated()]
        if len(dup):
            raise InputError("informant code appears twice in the roster", key="cases", row=int(dup.index[0]) + 1,
                             column="informant", value=dup.iloc[0])
    variables = [str(c) for c in roster.columns if c != "informant"]
    known = set(roster["informant"])
    extra = sorted({str(x) for x in docs["informant"] if x is not None and not pd.isna(x)} - known)
    if extra:
        roster = pd.concat([roster, pd.DataFrame({"informant": extra})], ignore_index=True)
    return roster.sort_values("informant", kind="stable").reset_index(drop=True), variables


def _value(v: object) -> str | None:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    s = str(v)
    return s if s.strip() else None


# ---- export ----------------------------------------------------------------------------------

def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str | None) -> etree._Element:
    e = etree.SubElement(parent, f"{{{QDA_NS}}}{tag}", {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        e.text = _xml_text(text)
    return e


def _description(code_id: str, en: str, *lines: tuple[str, str]) -> str:
    out = [f"id: {code_id}"]
    if en:
        out.append(f"en: {en}")
    out += [f"{k}: {' '.join(v.split())}" for k, v in lines if v and v.strip()]
    return "\n".join(out)


def _excerpt(text: str) -> str:
    s = " ".join(text.split())
    return s if len(s) <= NAME_EXCERPT else s[: NAME_EXCERPT - 1] + "…"


def build_qde(project_name: str, docs: pd.DataFrame, roster: pd.DataFrame, variables: list[str],
              book: Codebook, codings: pd.DataFrame, *, user: str, created: str,
              guids: dict[str, str]) -> bytes:
    """The ``project.qde`` XML of checked inputs (see :func:`export_qdpx`); ``guids`` maps each
    document to its source GUID."""
    def pg(*parts: object) -> str:
        return stable_guid("project", project_name, *parts)

    users = sorted({user} | set(codings["coder"]))
    user_guid = {u: pg("user", u) for u in users}
    root = etree.Element(f"{{{QDA_NS}}}Project", nsmap={None: QDA_NS})
    root.set("name", project_name)
    root.set("origin", "renewal-pipeline (pipeline.qdpx)")
    root.set("creatingUserGUID", user_guid[user])
    root.set("creationDateTime", created)

    e_users = _el(root, "Users")
    for u in users:
        _el(e_users, "User", guid=user_guid[u], name=u)

    e_codes = _el(_el(root, "CodeBook"), "Codes")
    for k, theme in enumerate(book.themes):
        colour = PALETTE[k % len(PALETTE)]
        e_t = _el(e_codes, "Code", guid=theme_guid(book.id, theme.id), name=code_name(theme.label.zh, theme.id),
                  isCodable="false", color=colour)
        _el(e_t, "Description", _description(theme.id, theme.label.en,
                                             ("theme of codebook", f"{book.id} (version {book.version})")))
        for code in theme.codes:
            e_c = _el(e_t, "Code", guid=code_guid(book.id, code.id), name=code_name(code.label.zh, code.id),
                      isCodable="true", color=colour)
            _el(e_c, "Description", _description(code.id, code.label.en, ("definition", code.definition),
                                                 ("include", code.include), ("exclude", code.exclude)))

    var_guid = {v: pg("variable", v) for v in variables}
    if variables:
        e_vars = _el(root, "Variables")
        for v in variables:
            e_v = _el(e_vars, "Variable", guid=var_guid[v], name=v, typeOfVariable="Text")
            _el(e_v, "Description", f"roster column '{v}'")

    docs_of: dict[str, list[str]] = {}
    for doc, inf in zip(docs["document"], docs["informant"]):
        if inf is not None and not pd.isna(inf):
            docs_of.setdefault(str(inf), []).append(doc)
    if len(roster):
        e_cases = _el(root, "Cases")
        for row in roster.to_dict("records"):
            inf = row["informant"]
            e_case = _el(e_cases, "Case", guid=pg("case", inf), name=inf)
            for v in variables:
                val = _value(row.get(v))
                if val is not None:
                    e_vv = _el(e_case, "VariableValue")
                    _el(e_vv, "VariableRef", targetGUID=var_guid[v])
                    _el(e_vv, "TextValue", val)
            for doc in docs_of.get(inf, []):
                _el(e_case, "SourceRef", targetGUID=guids[doc])

    e_src = _el(root, "Sources")
    by_doc = {d: g for d, g in codings.groupby("document", sort=False)}
    for doc, text in zip(docs["document"], docs["text"]):
        g = guids[doc]
        e_s = _el(e_src, "TextSource", guid=g, name=doc, plainTextPath=f"internal://{g}.txt",
                  creatingUser=user_guid[user], creationDateTime=created)
        if doc not in by_doc:
            continue
        for (a, b, coder), sel in by_doc[doc].groupby(["start", "end", "coder"], sort=False):
            e_sel = _el(e_s, "PlainTextSelection", guid=pg("selection", doc, a, b, coder), name=_excerpt(text[a:b]),
                        startPosition=str(a), endPosition=str(b), creatingUser=user_guid[coder],
                        creationDateTime=created)
            for code in sel["code"]:
                e_cod = _el(e_sel, "Coding", guid=pg("coding", doc, a, b, coder, code),
                            creatingUser=user_guid[coder], creationDateTime=created)
                _el(e_cod, "CodeRef", targetGUID=code_guid(book.id, code))
    _el(root, "Description", f"Codebook {book.id} (version {book.version}): {book.title.zh} / {book.title.en}. "
                             "Selection positions count Unicode code points of the texts in Sources/.")
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def export_qdpx(path: str | Path, documents: pd.DataFrame, cases: pd.DataFrame | None,
                codebook: Codebook | str | Path, codings: pd.DataFrame | None, *, project_name: str,
                user: str = "pipeline", created: str = "2024-01-01T00:00:00Z") -> dict:
    """Write a REFI-QDA project (``.qdpx``) of the coded interviews.

    Parameters
    ----------
    path
        The ``.qdpx`` to write (replaced atomically).
    documents
        ``document`` (file name, the TextSource name), ``text`` (positions refer to it) and,
        optionally, ``informant`` (links the source to its case).
    cases
        The roster: ``informant`` and attribute columns (role, community…), each exported as a
        Text variable; a ``name`` column is never exported. ``None``: cases from the documents'
        informants, without variables.
    codebook
        A :class:`~pipeline.interviews.codebook.Codebook` or the path of one.
    codings
        ``document``, ``start``, ``end`` (code points in the text), ``code`` (codebook ids) and,
        optionally, ``coder`` (or ``user``): one REFI user per coder, ``user`` where it is empty.
        Exact duplicate rows are written once.
    project_name
        The project's name; with the kind and id of each element it seeds the GUIDs.
    user
        The user who creates the project and codes rows without a coder.
    created
        ``creationDateTime`` of everything (xsd:dateTime); fixed so that exports repeat.

    Returns
    -------
    dict
        Path, size and SHA-256 of the file and counts: sources, themes, codes, cases, variables,
        users, selections, codings, duplicates_dropped.
    """
    created = _check_datetime(created)
    if not str(project_name).strip():
        raise ValueError("project_name is empty")
    book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    docs = _documents(documents)
    texts = dict(zip(docs["document"], docs["text"]))
    cod, dropped = _codings(codings, texts, book, user)
    roster, variables = _roster(cases, docs)
    guids = {d: stable_guid("project", project_name, "source", d) for d in docs["document"]}
    qde = build_qde(project_name, docs, roster, variables, book, cod, user=user, created=created, guids=guids)
    entries = {"project.qde": qde}
    entries.update({f"Sources/{guids[d]}.txt": t.encode("utf-8") for d, t in texts.items()})
    data = fixed_zip(sorted(entries.items()))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return {"path": str(path), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "sources": len(docs), "themes": len(book.themes), "codes": len(book.codes), "cases": len(roster),
            "variables": len(variables), "users": sorted({user} | set(cod["coder"])),
            "selections": int(len(cod.drop_duplicates(["document", "start", "end", "coder"]))),
            "codings": int(len(cod)), "duplicates_dropped": dropped}


# ---- validation ------------------------------------------------------------------------------

def read_qde(path: str | Path) -> bytes:
    """The ``project.qde`` bytes of a ``.qdpx``."""
    path = Path(path)
    with _open_zip(path) as z:
        return z.read(_qde_name(z, path))


def validate_qde(xml_bytes: bytes, xsd_path: str | Path) -> list[str]:
    """Errors of a ``project.qde`` against the REFI-QDA schema, plus references the schema
    cannot check (unique GUIDs; CodeRef, SourceRef, VariableRef and user GUIDs that point to
    something). An empty list: valid."""
    schema = etree.XMLSchema(etree.parse(str(xsd_path)))
    try:
        doc = etree.fromstring(xml_bytes, _parser())
    except etree.XMLSyntaxError as e:
        return [f"not well-formed XML: {e}"]
    errors = [] if schema.validate(doc) else [f"line {e.line}: {e.message}" for e in schema.error_log]
    seen: dict[str, str] = {}
    kinds: dict[str, set[str]] = {}
    for e in doc.iter():
        if not isinstance(e.tag, str):
            continue
        g = e.get("guid")
        if g is None:
            continue
        g = _norm_guid(g)
        tag = etree.QName(e).localname
        if g in seen:
            errors.append(f"line {e.sourceline}: GUID {g} of a {tag} is also the GUID of a {seen[g]}")
        seen[g] = tag
        kinds.setdefault(tag, set()).add(g)
    wanted = {"CodeRef": {"Code"}, "SourceRef": {"TextSource", "PictureSource", "PDFSource", "AudioSource",
                                                 "VideoSource"},
              "VariableRef": {"Variable"}}
    for e in doc.iter():
        if not isinstance(e.tag, str):
            continue
        tag = etree.QName(e).localname
        if tag in wanted:
            g = _norm_guid(e.get("targetGUID"))
            if not any(g in kinds.get(k, set()) for k in wanted[tag]):
                errors.append(f"line {e.sourceline}: {tag} points to {g}, which is no {'/'.join(sorted(wanted[tag]))}")
        for attr in ("creatingUser", "modifyingUser", "creatingUserGUID", "modifyingUserGUID"):
            g = e.get(attr)
            if g is not None and _norm_guid(g) not in kinds.get("User", set()):
                errors.append(f"line {e.sourceline}: {attr} of a {tag} points to {g}, which is no User")
    return errors


# ---- import ----------------------------------------------------------------------------------

def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


def _open_zip(path: Path) -> zipfile.ZipFile:
    if not path.exists():
        raise InputError("file not found", file=path)
    from pipeline.core.tables import check_zip

    check_zip(path, "REFI-QDA project")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise InputError("not a REFI-QDA project: the file is not a zip archive", file=path,
                         hint="a .qdpx is a zip holding project.qde and Sources/") from None


def _qde_name(z: zipfile.ZipFile, path: Path) -> str:
    names = [n for n in z.namelist() if not n.endswith("/")]
    exact = [n for n in names if n.replace("\\", "/").lower() == "project.qde"]
    anywhere = [n for n in names if n.lower().endswith(".qde")]
    if exact:
        return exact[0]
    if len(anywhere) == 1:
        return anywhere[0]
    raise InputError("no project.qde in the archive" if not anywhere else
                     f"no project.qde at the top of the archive, and {len(anywhere)} .qde files elsewhere",
                     file=path, hint="a .qdpx is a zip holding project.qde and Sources/")


def _kids(e: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in e if isinstance(c.tag, str) and etree.QName(c).localname == name]


def _kid(e: etree._Element, name: str) -> etree._Element | None:
    k = _kids(e, name)
    return k[0] if k else None


def _int_attr(e: etree._Element, attr: str, path: Path, where: str) -> int:
    v = e.get(attr)
    try:
        return int(str(v).strip())
    except (TypeError, ValueError):
        raise InputError(f"{where} (line {e.sourceline}): {attr} is missing or not a whole number", file=path,
                         key=attr, value=v) from None


class _Sources:
    """The texts a project's TextSources point to, found in the archive or, for relative and
    absolute paths, on disk."""

    def __init__(self, z: zipfile.ZipFile, path: Path, base: str | None) -> None:
        self.z = z
        self.path = path
        self.base = base
        self.index: dict[str, str] = {}
        self.by_base: dict[str, list[str]] = {}
        for n in z.namelist():
            if n.endswith("/"):
                continue
            key = n.replace("\\", "/").lower()
            self.index[key] = n
            self.by_base.setdefault(PurePosixPath(key).name, []).append(n)

    def _member(self, rel: str) -> str | None:
        rel = rel.replace("\\", "/").lstrip("/")
        for key in (f"sources/{rel}".lower(), rel.lower()):
            if key in self.index:
                return self.index[key]
        hits = self.by_base.get(PurePosixPath(rel.lower()).name, [])
        return hits[0] if len(hits) == 1 else None

    def read(self, ref: str, where: str) -> str:
        scheme, _, rest = ref.partition("://")
        if not rest:
            scheme, rest = "", ref
        rest = unquote(rest)
        member = self._member(rest)
        try:
            data: bytes | None = self.z.read(member) if member is not None else None
        except (zipfile.BadZipFile, OSError, RuntimeError) as e:
            raise InputError(f"{where}: its text '{ref}' cannot be read from the archive ({e})",
                             file=self.path) from None
        if data is None and scheme.lower() != "internal":
            dirs = [Path(self.base)] if self.base else []
            dirs.append(self.path.parent)
            for d in ([Path()] if Path(rest).is_absolute() else dirs):
                p = d / rest
                if p.is_file():
                    data = p.read_bytes()
                    break
        if data is None:
            raise InputError(f"{where}: its text '{ref}' is not in the archive", file=self.path,
                             key="plainTextPath", hint="internal:// paths are looked up in Sources/")
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise InputError(f"{where}: its text '{ref}' is not UTF-8 (byte {e.start})", file=self.path,
                             key="plainTextPath") from None


def _utf16_to_cp(text: str) -> dict[int, int] | None:
    """UTF-16 offset → code point offset, or None when the text is all BMP (the same offsets)."""
    if all(ord(ch) <= 0xFFFF for ch in text):
        return None
    table, pos = {}, 0
    for i, ch in enumerate(text):
        table[pos] = i
        pos += 2 if ord(ch) > 0xFFFF else 1
    table[pos] = len(text)
    return table


def _code_tree(codebook_el: etree._Element | None) -> list[dict]:
    rows: list[dict] = []

    def walk(parent: etree._Element, parent_guid: str | None, parent_name: str | None) -> None:
        for c in _kids(parent, "Code"):
            desc = _kid(c, "Description")
            g = _norm_guid(c.get("guid"))
            rows.append({"guid": g, "name": c.get("name") or "", "parent": parent_name,
                         "codable": (c.get("isCodable") or "true").strip().lower() in ("true", "1"),
                         "description": (desc.text or "") if desc is not None else ""})
            walk(c, g, c.get("name"))

    if codebook_el is not None:
        codes = _kid(codebook_el, "Codes")
        if codes is not None:
            walk(codes, None, None)
    return rows


def _description_id(description: str) -> str | None:
    m = re.search(r"^\s*id:\s*([A-Za-z][A-Za-z0-9_]*)\s*$", description, flags=re.M)
    return m.group(1) if m else None


def map_code(name: str, guid: str | None, description: str, book: Codebook) -> tuple[str | None, str, str]:
    """A project code → (codebook id or None, kind ``code``/``theme``/``""``, how it matched or why not).

    In order: our GUID; the name as the id; ``label id`` (or ``id label``) with the label the id's
    zh or en label or without Latin letters; the zh label; the en label (case-insensitive); the
    ``id:`` line of the Description."""
    entries = [("code", c.id, c.label, code_guid(book.id, c.id)) for _, c in book.codes.values()]
    entries += [("theme", t.id, t.label, theme_guid(book.id, t.id)) for t in book.themes]
    ids = {}
    for kind, i, _, _ in entries:
        ids.setdefault(i, kind)  # a code id wins over a theme with the same id
    g = _norm_guid(guid)
    for kind, i, _, eg in entries:
        if g == eg:
            return i, kind, "guid"
    n = _norm_name(name)
    if n in ids:
        return n, ids[n], "id"
    label_of = {i: lab for kind, i, lab, _ in reversed(entries)}
    words = n.split(" ")
    for tok, rest in ((words[-1], words[:-1]), (words[0], words[1:])) if len(words) > 1 else ():
        tok = tok.strip("()（）[]【】<>《》")
        if tok in ids:
            rest_s = " ".join(rest).strip(" -—:：|/")
            lab = label_of[tok]
            if rest_s.casefold() in {_norm_name(lab.zh).casefold(), _norm_name(lab.en).casefold()} \
                    or not re.search("[A-Za-z]", rest_s):
                return tok, ids[tok], "label id"
    for field in ("zh", "en"):
        hits = {(kind, i) for kind, i, lab, _ in entries
                if getattr(lab, field) and _norm_name(getattr(lab, field)).casefold() == n.casefold()}
        codes = {h for h in hits if h[0] == "code"} or hits
        if len(codes) == 1:
            kind, i = next(iter(codes))
            return i, kind, f"{field} label"
        if len(codes) > 1:
            return None, "", f"ambiguous: the {field} label of {sorted(i for _, i in codes)}"
    d = _description_id(description)
    if d in ids:
        return d, ids[d], "description id"
    return None, "", "not in the codebook"


def read_qdpx(path: str | Path, codebook: Codebook | str | Path | None = None, *,
              positions: str = "codepoints") -> dict:
    """Read a REFI-QDA project (ours or another tool's).

    Parameters
    ----------
    path
        The ``.qdpx``.
    codebook
        Map the project's codes to this codebook's ids (see :func:`map_code`); codes that map to
        nothing keep their name and are listed in ``unmapped``. ``None``: a code is the ``id:``
        line of its Description where there is one (our exports), else its name.
    positions
        ``"codepoints"`` (the standard's characters, what we write) or ``"utf16"`` (for a tool
        that counts UTF-16 units; converted to code points).

    Returns
    -------
    dict
        ``documents`` (document, informant, text), ``codings`` (document, start, end, code, coder,
        code_name; sorted), ``cases`` (informant and one column per variable), ``codes`` (the code
        tree: guid, name, parent, codable, code, kind, matched_by, codings), ``users``,
        ``unmapped`` (name, guid, codings, reason), ``warnings`` and ``project`` (name, origin).
    """
    if positions not in ("codepoints", "utf16"):
        raise ValueError("positions must be 'codepoints' or 'utf16'")
    book = None if codebook is None else codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    path = Path(path)
    warnings: list[str] = []
    with _open_zip(path) as z:
        try:
            qde = z.read(_qde_name(z, path))
        except (zipfile.BadZipFile, OSError, RuntimeError) as e:
            raise InputError(f"the archive cannot be read ({e})", file=path) from None
        try:
            root = etree.fromstring(qde, _parser())
        except etree.XMLSyntaxError as e:
            raise InputError(f"project.qde is not well-formed XML ({e})", file=path) from None
        if etree.QName(root).localname != "Project":
            raise InputError(f"project.qde holds a <{etree.QName(root).localname}>, not a REFI-QDA <Project>",
                             file=path)
        if etree.QName(root).namespace != QDA_NS:
            warnings.append(f"project.qde is in namespace '{etree.QName(root).namespace}', not '{QDA_NS}'")

        users: dict[str, str] = {}
        e_users = _kid(root, "Users")
        for u in _kids(e_users, "User") if e_users is not None else []:
            users[_norm_guid(u.get("guid"))] = u.get("name") or u.get("id") or u.get("guid")

        tree = _code_tree(_kid(root, "CodeBook"))
        code_of: dict[str, dict] = {}
        for row in tree:
            if book is not None:
                cid, kind, how = map_code(row["name"], row["guid"], row["description"], book)
            else:
                did = _description_id(row["description"])
                cid, kind, how = (did, "", "description id") if did else (None, "", "no codebook")
            row.update(code=cid if cid is not None else row["name"], kind=kind,
                       matched_by=how if cid is not None else "", reason="" if cid is not None else how, codings=0)
            if row["guid"] in code_of:
                raise InputError("two codes have the same GUID", file=path, key="Code", value=row["guid"])
            code_of[row["guid"]] = row

        variables: dict[str, str] = {}
        e_vars = _kid(root, "Variables")
        for v in _kids(e_vars, "Variable") if e_vars is not None else []:
            variables[_norm_guid(v.get("guid"))] = v.get("name") or v.get("guid")

        sources = _Sources(z, path, root.get("basePath"))
        docs: list[dict] = []
        doc_of_guid: dict[str, str] = {}
        rows: list[dict] = []
        e_src = _kid(root, "Sources")
        for s in list(e_src) if e_src is not None else []:
            if not isinstance(s.tag, str):
                continue
            kind = etree.QName(s).localname
            sname = s.get("name") or s.get("guid") or "?"
            if kind != "TextSource":
                warnings.append(f"{kind} '{sname}' skipped: only text sources are read")
                continue
            name = sname
            taken = {d["document"] for d in docs}
            k = 2
            while name in taken:
                name, k = f"{sname} #{k}", k + 1
            if name != sname:
                warnings.append(f"two sources are named '{sname}'; the later one is read as '{name}'")
            where = f"source '{name}'"
            content = _kid(s, "PlainTextContent")
            if content is not None:
                text = content.text or ""
            elif s.get("plainTextPath"):
                text = sources.read(s.get("plainTextPath"), where)
            else:
                warnings.append(f"{where} skipped: it has no plain text (PlainTextContent or plainTextPath)")
                continue
            doc_of_guid[_norm_guid(s.get("guid"))] = name
            docs.append({"document": name, "informant": None, "text": text})
            table = _utf16_to_cp(text) if positions == "utf16" else None
            limit = (max(table) if table else len(text))
            if _kids(s, "Coding"):
                warnings.append(f"{where}: {len(_kids(s, 'Coding'))} coding(s) of the whole source skipped")
            for sel in _kids(s, "PlainTextSelection"):
                swhere = f"{where}, selection '{sel.get('name') or sel.get('guid')}' (line {sel.sourceline})"
                a = _int_attr(sel, "startPosition", path, swhere)
                b = _int_attr(sel, "endPosition", path, swhere)
                if not 0 <= a <= b <= limit:
                    raise InputError(f"{swhere}: positions {a}-{b} are outside the text ({limit} characters)",
                                     file=path, key="PlainTextSelection")
                if table is not None:
                    if a not in table or b not in table:
                        raise InputError(f"{swhere}: UTF-16 position {a}-{b} splits a character", file=path,
                                         key="PlainTextSelection")
                    a, b = table[a], table[b]
                for cod in _kids(sel, "Coding"):
                    ref = _kid(cod, "CodeRef")
                    g = _norm_guid(ref.get("targetGUID")) if ref is not None else None
                    if g not in code_of:
                        raise InputError(f"{swhere}: a coding points to code {g}, which is not in the codebook "
                                         "of the project", file=path, key="CodeRef")
                    who = _norm_guid(cod.get("creatingUser") or sel.get("creatingUser"))
                    code_of[g]["codings"] += 1
                    rows.append({"document": name, "start": a, "end": b, "code": code_of[g]["code"],
                                 "coder": users.get(who, who) if who else "unknown", "code_name": code_of[g]["name"]})

        case_rows: list[dict] = []
        e_cases = _kid(root, "Cases")
        for c in _kids(e_cases, "Case") if e_cases is not None else []:
            cname = c.get("name") or c.get("guid")
            rec = {"informant": cname}
            for vv in _kids(c, "VariableValue"):
                ref = _kid(vv, "VariableRef")
                vname = variables.get(_norm_guid(ref.get("targetGUID")) if ref is not None else None)
                vals = [x for x in vv if isinstance(x.tag, str) and etree.QName(x).localname.endswith("Value")]
                if vname is not None and vals:
                    rec[vname] = vals[0].text
            case_rows.append(rec)
            for sr in _kids(c, "SourceRef"):
                doc = doc_of_guid.get(_norm_guid(sr.get("targetGUID")))
                d = next((x for x in docs if x["document"] == doc), None)
                if d is None:
                    continue
                if d["informant"] is not None and d["informant"] != cname:
                    warnings.append(f"source '{doc}' belongs to cases '{d['informant']}' and '{cname}'; "
                                    f"kept '{d['informant']}'")
                else:
                    d["informant"] = cname

    for row in tree:
        if row["kind"] == "theme" and row["codings"]:
            warnings.append(f"{row['codings']} coding(s) on theme '{row['name']}' read as theme id '{row['code']}'")
    unmapped = [{"name": r["name"], "guid": r["guid"], "codings": r["codings"], "reason": r["reason"]}
                for r in tree if book is not None and r["reason"]]
    codings = pd.DataFrame(rows, columns=["document", "start", "end", "code", "coder", "code_name"])
    codings = codings.sort_values(["document", "start", "end", "coder", "code"], kind="stable").reset_index(drop=True)
    var_names = list(dict.fromkeys(variables.values()))
    cases = pd.DataFrame(case_rows, columns=["informant", *var_names])
    codes = pd.DataFrame(tree, columns=["guid", "name", "parent", "codable", "code", "kind", "matched_by", "codings"])
    return {"documents": pd.DataFrame(docs, columns=["document", "informant", "text"]), "codings": codings,
            "cases": cases, "codes": codes, "users": sorted(set(users.values())), "unmapped": unmapped,
            "warnings": warnings, "project": {"name": root.get("name"), "origin": root.get("origin")}}
