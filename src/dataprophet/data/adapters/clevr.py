"""CLEVR questions split into the paper's two subsets by their functional program.

Rule (from the CLEVR generator's templates; spatial relations are left, right, behind, front):
  counting = the program's final function is ``count`` (integer comparisons such as
             ``greater_than`` count internally but answer yes/no, so they are not counting);
  relation = the program contains ``relate`` with a spatial value.
Seven template families are both ("How many things are left of the cube?"). With
``options.disjoint`` (default true) such questions go to counting only, because their answer
is a count; relation then means "spatial relate and not a count". This keeps the two datasets
disjoint so transfer between them is not inflated by shared questions. Filtering uses
function names, never ``question_family_index`` (its numbering depends on file order).
"""

from __future__ import annotations

import json
import re

from dataprophet.data.adapters.common import RowContext, answer_list, text
from dataprophet.data.adapters.single import _single

SPATIAL_RELATIONS = frozenset({"left", "right", "behind", "front"})
_BRACKETED = re.compile(r"(\w+)\[(.*)\]")


def _node(node) -> tuple[str, list[str]]:
    """(function name, value inputs) for both program formats: {function, value_inputs} and
    the older 'relate[left]' strings."""
    if isinstance(node, dict):
        name = str(node.get("function") or node.get("type") or "")
        values = [str(v) for v in (node.get("value_inputs") or node.get("side_inputs") or [])]
    else:
        name, values = str(node), []
    m = _BRACKETED.fullmatch(name)
    if m:
        name = m.group(1)
        values += [v.strip() for v in m.group(2).split(",") if v.strip()]
    return name, values


def classify(program) -> tuple[bool, bool]:
    """(is_counting, is_relation) of a program (a list of nodes, or its JSON string)."""
    if isinstance(program, str):
        program = json.loads(program)
    nodes = [_node(n) for n in program or []]
    is_count = bool(nodes) and nodes[-1][0] == "count"
    is_relation = any(name == "relate" and SPATIAL_RELATIONS.intersection(values) for name, values in nodes)
    return is_count, is_relation


def subset(program, disjoint: bool = True) -> set[str]:
    """The subsets ('counting', 'relation') a question belongs to under the rule above."""
    is_count, is_relation = classify(program)
    out = set()
    if is_count:
        out.add("counting")
    if is_relation and not (disjoint and is_count):
        out.add("relation")
    return out


def _clevr(row: dict, index: int, ctx: RowContext, wanted: str) -> list[dict]:
    if wanted not in subset(ctx.column(row, "program"), bool(ctx.options.get("disjoint", True))):
        return []
    return _single(row, index, ctx, text(ctx.column(row, "question")), answer_list(ctx.column(row, "answers")))


def clevr_counting(row: dict, index: int, ctx: RowContext) -> list[dict]:
    """CLEVR question kept only when it is in the counting subset."""
    return _clevr(row, index, ctx, "counting")


def clevr_relation(row: dict, index: int, ctx: RowContext) -> list[dict]:
    """CLEVR question kept only when it is in the relation subset."""
    return _clevr(row, index, ctx, "relation")
