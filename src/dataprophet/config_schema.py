"""Files generated from the config model (``dataprophet.settings.StudyConfig``): the
Snakemake config schema ``src/dataprophet/schema/config.schema.yaml`` and the key reference
``config/README.md``. Neither is edited by hand; after changing a setting, regenerate both:

    .venv/bin/python -m dataprophet.config_schema

``tests/unit/core/test_config.py`` checks that the files in the repository are the generated text.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from pathlib import Path

import yaml

from dataprophet import settings
from dataprophet.settings import StudyConfig

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = Path(__file__).resolve().parent / "schema" / "config.schema.yaml"
README_FILE = ROOT / "config" / "README.md"

_HEADER = (
    "# Generated from dataprophet.settings.StudyConfig; do not edit.\n"
    "# Regenerate: python -m dataprophet.config_schema\n"
)


def _strip_titles(node):
    """The schema without pydantic's "title" entries (class and field names repeated), each
    description on one line."""
    if isinstance(node, dict):
        return {
            k: " ".join(v.split()) if k == "description" and isinstance(v, str) else _strip_titles(v)
            for k, v in node.items()
            if not (k == "title" and isinstance(v, str))
        }
    if isinstance(node, list):
        return [_strip_titles(v) for v in node]
    return node


def config_schema() -> dict:
    """The JSON schema (draft 2020-12) of a study's config."""
    schema = _strip_titles(StudyConfig.model_json_schema())
    schema.pop("description", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "description": "DataProphet study configuration (mini, smoke and paper studies). Unknown keys are errors.",
        **schema,
    }


class _Dumper(yaml.SafeDumper):
    """Leaf mappings (a key's type, bounds, default) on one line, as a hand-written schema."""


def _represent_dict(dumper: yaml.SafeDumper, data: dict):
    leaf = all(
        not isinstance(v, dict) and not (isinstance(v, list) and any(isinstance(x, dict) for x in v))
        for v in data.values()
    )
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=leaf and len(str(data)) < 100)


_Dumper.add_representer(dict, _represent_dict)


def schema_text() -> str:
    return _HEADER + yaml.dump(config_schema(), Dumper=_Dumper, sort_keys=False, width=120, allow_unicode=True)


# ------------------------------------------------------------------- config/README.md


def _comments(name: str) -> dict[str, str]:
    """{field: its comment in settings.py} for the settings class ``name`` and its bases: the
    comment at the end of the field's line, else the comment lines just above it."""
    cls = getattr(settings, name, None)
    out: dict[str, str] = {}
    for klass in reversed(getattr(cls, "__mro__", ())):
        if klass.__module__ != settings.__name__:
            continue
        try:
            lines = inspect.getsource(klass).splitlines()
        except (OSError, TypeError):
            continue
        above: list[str] = []
        for line in lines:
            if line.startswith("    # "):
                above.append(line.strip()[2:])
                continue
            match = re.match(r"    (\w+): ", line)
            if match:
                doc = line.partition("  # ")[2].strip() or " ".join(above)
                if doc or match.group(1) not in out:  # a redeclared default keeps its base's comment
                    out[match.group(1)] = doc
            above = []
    return out


def _type(node: dict, defs: dict) -> str:
    """A short type for the reference table."""
    if "$ref" in node:
        return f"section `{node['$ref'].split('/')[-1]}`"
    if "anyOf" in node:
        return " or ".join(_type(n, defs) for n in node["anyOf"])
    if "enum" in node:
        return "one of " + ", ".join(f"`{v}`" for v in node["enum"])
    if "const" in node:
        return f"`{node['const']}`"
    kind = node.get("type", "any")
    if kind == "array":
        return f"list of {_type(node.get('items', {}), defs)}"
    if kind == "object" and isinstance(node.get("additionalProperties"), dict):
        return f"mapping to {_type(node['additionalProperties'], defs)}"
    return {"integer": "integer", "number": "number", "string": "text", "boolean": "true/false", "null": "null"}.get(
        kind, kind
    )


def _bounds(node: dict) -> str:
    parts = []
    for key, sign in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<")):
        if key in node:
            parts.append(f"{sign} {node[key]:g}" if isinstance(node[key], float) else f"{sign} {node[key]}")
    for key, words in (("minItems", "at least {} item(s)"), ("minLength", "at least {} character(s)")):
        if key in node:
            parts.append(words.format(node[key]))
    if "pattern" in node:
        parts.append(f"matches `{node['pattern']}`")
    for sub in node.get("anyOf", []):
        inner = _bounds(sub)
        if inner:
            parts.append(inner)
    if node.get("type") == "array" and isinstance(node.get("items"), dict):
        inner = _bounds(node["items"])
        if inner:
            parts.append(f"each {inner}")
    return ", ".join(parts)


def _default(node: dict) -> str:
    if "default" not in node:
        return "required" if node.get("_required") else ""
    return f"`{json.dumps(node['default'])}`"


def _rows(properties: dict, required: list, prefix: str, defs: dict, sections: list, cls: str = "") -> list[str]:
    rows = []
    comments = _comments(cls)
    for name, node in properties.items():
        key = f"{prefix}{name}"
        node = {**node, "_required": name in required}
        target = node
        ref = node.get("$ref") or next((n["$ref"] for n in node.get("anyOf", []) if "$ref" in n), None)
        if ref:
            target = defs[ref.split("/")[-1]]
        if target.get("type") == "object" and "properties" in target:
            sections.append((key, target, ref.split("/")[-1] if ref else ""))
            kind = f"section ([`{key}`](#{key.replace('.', '')}))"
        else:
            kind = _type(node, defs)
        doc = (node.get("description") or comments.get(name, "")).replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{key}` | {kind} | {_default(node)} | {_bounds(node)} | {doc} |")
    return rows


def readme_text() -> str:
    """config/README.md: every config key, its type, default, bounds or allowed values."""
    schema = config_schema()
    defs = schema.get("$defs", {})
    lines = [
        "<!-- Generated from dataprophet.settings.StudyConfig; do not edit. "
        "Regenerate: python -m dataprophet.config_schema -->",
        "# Config keys",
        "",
        "A study is one YAML file (`config/config.yaml` is the mini study, `smoke.yaml` the smoke test, "
        "`paper.yaml` the paper's). Every key below is checked when Snakemake starts: an unknown key, a value "
        "of the wrong type or outside its bounds stops the run with the key, the file and the line. A key left "
        "out takes its default. The settings classes in `src/dataprophet/settings.py` are where each key is "
        "defined; this page and `src/dataprophet/schema/config.schema.yaml` are generated from them.",
        "",
    ]
    header = ["| key | type | default | bounds | meaning |", "|---|---|---|---|---|"]
    sections: list = []
    lines += ["## Top level", "", *header]
    lines += _rows(schema["properties"], schema.get("required", []), "", defs, sections)
    while sections:
        key, node, cls = sections.pop(0)
        doc = node.get("description") or ""
        lines += ["", f"## {key}", "", doc, "", *header] if doc else ["", f"## {key}", "", *header]
        lines += _rows(node["properties"], node.get("required", []), f"{key}.", defs, sections, cls)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write both files (``--check``: only say whether they are current)."""
    argv = sys.argv[1:] if argv is None else argv
    stale = []
    for path, text in ((SCHEMA_FILE, schema_text()), (README_FILE, readme_text())):
        if path.exists() and path.read_text() == text:
            continue
        stale.append(str(path))
        if "--check" not in argv:
            path.write_text(text)
    if stale:
        print(("stale: " if "--check" in argv else "wrote: ") + ", ".join(stale))
    return 1 if stale and "--check" in argv else 0


if __name__ == "__main__":
    sys.exit(main())
