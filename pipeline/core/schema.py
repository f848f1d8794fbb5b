"""Reading and validating the YAML files a study is made of (study file, questionnaire, codebook,
problem catalogue): a strict safe loader (no duplicate keys, bounded nesting and size, UTF-8 or
GBK), the frozen pydantic base model they share, and validation errors turned into one
:class:`~pipeline.core.errors.InputError` naming the file and the key."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from pipeline.core.errors import InputError

# 'construct' is the natural YAML key of questionnaire items and problem indicators; it shadows
# pydantic's deprecated BaseModel.construct, which these models never use
warnings.filterwarnings("ignore", message='Field name "construct"', category=UserWarning)

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class Strict(BaseModel):
    """Frozen, and an unknown key is an error (a misspelt key must never be ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)



class Label(Strict):
    """A label in Chinese and, optionally, English."""

    zh: str
    en: str = ""



class KeyedError(ValueError):
    """Raised inside a validator to report a problem at another key than the one validated."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(message)



def loc_to_key(loc: tuple, data: Any) -> str:
    """A pydantic error location as the key a user reads (``items[3] (id: q3).scale``)."""
    parts: list[str] = []
    node = data
    for p in loc:
        if isinstance(p, int):
            label = f"[{p}]"
            try:
                node = node[p]
                if isinstance(node, dict) and "id" in node:
                    label += f" (id: {node['id']})"
            except Exception:
                node = None
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(p))
            try:
                node = node[p]
            except Exception:
                node = None
    return "".join(parts)



MAX_YAML_BYTES = 20 << 20   # a definition is a few hundred KB at most



MAX_YAML_DEPTH = 40         # nesting deeper than this is not a definition (and would exhaust the stack)



def strict_loader():
    """A safe YAML loader that refuses duplicate keys (YAML says they are an error; PyYAML keeps
    the last one silently) and nesting deeper than :data:`MAX_YAML_DEPTH`."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key '{key}' appears twice (first on line {seen[key]})", key_node.start_mark)
            try:
                seen[key] = key_node.start_mark.line + 1
            except TypeError:  # an unhashable key: let PyYAML say so
                break
        return loader.construct_mapping(node, deep=deep)

    def compose_node(self, parent, index):
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nesting deeper than {MAX_YAML_DEPTH} levels",
                                                  self.peek_event().start_mark)
            return yaml.SafeLoader.compose_node(self, parent, index)
        finally:
            self._depth -= 1

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    Loader.compose_node = compose_node
    return Loader



def read_yaml_text(text: str, path: Path) -> Any:
    """Parse YAML text read from ``path`` (errors name the file and line)."""
    import yaml

    try:
        return yaml.load(text, Loader=strict_loader())
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise InputError(f"not valid YAML: {getattr(e, 'problem', None) or e}", file=path,
                         row=(mark.line + 1) if mark else None) from None
    except (ValueError, OverflowError) as e:  # a value YAML reads as an impossible date (2024-02-30)
        raise InputError(f"not valid YAML: {e} (a date that does not exist? quote the value)", file=path) from None
    except RecursionError:
        raise InputError(f"not valid YAML: nesting too deep (more than {MAX_YAML_DEPTH} levels)",
                         file=path) from None



def read_text_file(path: Path, what: str = "file", limit: int = MAX_YAML_BYTES) -> str:
    """A small text file (YAML, names list) in UTF-8 (with or without BOM) or GBK/GB18030;
    anything else — absent, a folder, too large, binary — is an :class:`InputError`."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    if path.is_dir():
        raise InputError(f"is a folder, not a {what}", file=path)
    if not path.is_file():
        raise InputError(f"is not a regular file (a pipe or a device), not a {what}", file=path)
    try:
        data = path.read_bytes() if path.stat().st_size <= limit else None
    except OSError as e:
        raise InputError(f"cannot be read ({e.strerror})", file=path) from None
    if data is None:
        raise InputError(f"is larger than {limit >> 20} MB: not a {what}", file=path)
    if b"\x00" in data:
        raise InputError(f"is a binary file, not a {what} (text in UTF-8 or GBK)", file=path)
    from pipeline.core.tables import detect_encoding

    try:
        return data.decode(detect_encoding(path, data))
    except (InputError, UnicodeDecodeError) as e:
        where = f" (undecodable byte at position {e.start})" if isinstance(e, UnicodeDecodeError) else ""
        raise InputError(f"is neither UTF-8 nor GBK text{where}", file=path, hint="save it as UTF-8") from None



def read_yaml(path: Path) -> Any:
    """A YAML file (study, questionnaire, codebook, catalogue), read safely."""
    return read_yaml_text(read_text_file(path, "YAML file"), path)



def validate_model(model: type[BaseModel], data: Any, path: Path) -> Any:
    """``data`` validated as ``model``; the first problem as an InputError naming ``path`` and the key."""
    if not isinstance(data, dict):
        raise InputError("expected a mapping of keys at the top level", file=path)
    try:
        return model.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        ctx_err = (err.get("ctx") or {}).get("error")
        if isinstance(ctx_err, KeyedError):
            raise InputError(ctx_err.message, file=path, key=ctx_err.key) from None
        key = loc_to_key(tuple(err["loc"]), data)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see docs/questionnaire.md)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        more = f" (and {len(e.errors()) - 1} more problem(s))" if len(e.errors()) > 1 else ""
        raise InputError(msg + more, file=path, key=key or None) from None


def check_id(v: str) -> str:
    """An identifier as the definitions use them: snake_case, starting with a letter."""
    if not ID_PATTERN.match(v):
        raise ValueError(f"'{v}' is not snake_case (letters, digits, underscores; starts with a letter)")
    return v
