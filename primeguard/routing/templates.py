"""Load `routes/` (templates + routing table) and `guidelines/` once, validated.

Both are operator-edited data.  Each is versioned by the SHA-256 of its
content, so a changed policy or prompt never reuses an old cached decision.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from primeguard.errors import ConfigError, config_error
from primeguard.verdicts import Route

Action = Literal["answer", "reevaluate", "refuse"]


class _RouteEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    action: Action


class _Templates(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    route_selection: str
    reevaluation: str
    answer_system: str
    refusal: str


class _Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: int
    templates: _Templates
    routes: dict[Route, _RouteEntry]


#: Placeholders each template must use, so an edit can't silently drop the guidelines.
#: (`$boundary` and `$first_check` are still filled where used; see `judge.system_prompt`.)
_REQUIRED = {
    "route_selection": {"guidelines"},
    "reevaluation": {"guidelines"},
    "answer_system": {"guidelines", "tip_section"},
    "refusal": set(),
}


@dataclass(frozen=True, slots=True)
class RouteTemplates:
    """The routing table and its prompt templates."""

    route_selection: string.Template
    reevaluation: string.Template
    answer_system: string.Template
    refusal: str
    actions: MappingProxyType[Route, Action]
    version: str


@dataclass(frozen=True, slots=True)
class GuidelineSet:
    name: str
    text: str
    version: str


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def _placeholders(tpl: string.Template) -> set[str]:
    return {m.group("named") or m.group("braced") for m in tpl.pattern.finditer(tpl.template)} - {None}


def load_route_templates(routes_dir: Path) -> RouteTemplates:
    table_path = routes_dir / "table.yaml"
    try:
        raw = yaml.safe_load(table_path.read_text(encoding="utf-8"))
        table = _Table.model_validate(raw)
    except OSError as exc:
        raise ConfigError(f"{table_path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{table_path}: invalid YAML: {exc}") from None
    except ValidationError as exc:
        raise config_error(exc, source=str(table_path)) from None
    missing = set(Route) - set(table.routes)
    if missing:
        raise ConfigError(f"{table_path}: routes: missing {sorted(r.value for r in missing)}")
    texts: dict[str, str] = {}
    for key, filename in table.templates.model_dump().items():
        path = routes_dir / filename
        try:
            texts[key] = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{table_path}: templates.{key}: cannot read {path}: {exc.strerror}") from None
        used = _placeholders(string.Template(texts[key]))
        if not _REQUIRED[key] <= used:
            raise ConfigError(f"{path}: must use the placeholders {sorted(_REQUIRED[key])}")
    return RouteTemplates(
        route_selection=string.Template(texts["route_selection"]),
        reevaluation=string.Template(texts["reevaluation"]),
        answer_system=string.Template(texts["answer_system"]),
        refusal=texts["refusal"].strip(),
        actions=MappingProxyType({r: e.action for r, e in table.routes.items()}),
        version=_digest(table_path.read_text(encoding="utf-8"), *(texts[k] for k in sorted(texts))),
    )


def load_guidelines(guidelines_dir: Path) -> dict[str, GuidelineSet]:
    """Every `*.md` / `*.txt` file is one set, named by its stem."""
    if not guidelines_dir.is_dir():
        raise ConfigError(f"{guidelines_dir}: guidelines directory not found")
    sets: dict[str, GuidelineSet] = {}
    for path in sorted(guidelines_dir.iterdir()):
        if path.suffix not in (".md", ".txt") or path.name.lower() == "readme.md":
            continue
        text = path.read_text(encoding="utf-8").strip()
        if not text:
            raise ConfigError(f"{path}: guideline set is empty")
        sets[path.stem] = GuidelineSet(name=path.stem, text=text, version=_digest(text))
    if not sets:
        raise ConfigError(f"{guidelines_dir}: no guideline sets (*.md) found")
    return sets
