"""The error catalogue: every code the API can answer with has both messages, no raise
site passes a free string, and every named constraint the API can meet has its code."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint

import app.errors as errors
from app.errors import CONSTRAINT_REFUSALS, INTERNAL_CONSTRAINTS, REFERENCED_NOT_FOUND, ErrorCode
from app.models import Base

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")
DOTTED_CODE = re.compile(r"^[a-z_]+\.[a-z_0-9]+$")


def test_every_error_code_has_a_chinese_and_an_english_message():
    assert len(ErrorCode) > 100
    for code in ErrorCode:
        assert DOTTED_CODE.match(code.value), code
        assert code.name == code.value.replace(".", "_"), code
        assert code.zh.strip() and code.en.strip(), code
        assert CJK.search(code.zh), f"{code}: the zh-CN message has no Chinese: {code.zh!r}"
        assert not CJK.search(code.en), f"{code}: the en message is not English: {code.en!r}"
        assert code.value not in (code.zh, code.en), code
        assert code.message("zh") == code.zh and code.message("en") == code.en


def test_an_error_code_cannot_be_declared_without_both_messages():
    # The catalogue's members are built from (code, zh, en): a bare code does not exist.
    for declared in ({"x_y": "x.y"}, {"x_y": ("x.y", "只有中文")}):
        try:
            ErrorCode("Broken", declared)  # type: ignore[call-overload]
        except TypeError:
            continue
        raise AssertionError(f"declared without both messages: {declared}")


def _error_takers() -> dict[str, int]:
    """Callables whose argument at the given position is an error code."""
    takers = {"IdNumberError": 0, "_refuse": 0, "RowError": 1, "reject": 2}
    takers["problem_response"] = 2
    pending = [errors.DangjianError]
    while pending:
        cls = pending.pop()
        takers[cls.__name__] = 0
        pending.extend(cls.__subclasses__())
    # The subclasses declared outside app.errors (ImportFileError) are found by name.
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.Name | ast.Attribute)
                and (b.id if isinstance(b, ast.Name) else b.attr) in takers
                for b in node.bases
            ):
                takers[node.name] = 0
    return takers


def test_no_raise_site_in_the_app_passes_a_string_as_its_error_code():
    import app.services.integration.imports  # noqa: F401  # declares ImportFileError

    takers = _error_takers()
    assert {"Conflict", "NotFound", "Unprocessable", "ImportFileError"} <= set(takers)
    found = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "field":
                position = 1  # Unprocessable.field(field, code, message)
            else:
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name not in takers:
                    continue
                position = takers[name]
            candidates = node.args[position : position + 1] + [
                k.value for k in node.keywords if k.arg == "code"
            ]
            for arg in candidates:
                if isinstance(arg, ast.Constant | ast.JoinedStr):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == [], f"error codes written as strings: {found}"


def test_the_published_openapi_lists_every_code_with_its_messages():
    schema = json.loads((ROOT / "openapi" / "openapi.json").read_text(encoding="utf-8"))
    components = schema["components"]["schemas"]
    assert components["Problem"]["properties"]["code"]["$ref"] == "#/components/schemas/ErrorCode"
    catalogue = components["ErrorCode"]
    assert catalogue["enum"] == [code.value for code in ErrorCode]
    assert catalogue["x-enum-descriptions"] == [f"{c.zh} / {c.en}" for c in ErrorCode]


def _named_unique_constraints() -> set[str]:
    """Unique constraints, unique indexes and natural (non-generated) primary keys."""
    names = set()
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint):
                names.add(str(constraint.name))
            if isinstance(constraint, PrimaryKeyConstraint) and [
                c.name for c in constraint.columns
            ] != ["id"]:
                names.add(str(constraint.name))
        names |= {str(index.name) for index in table.indexes if index.unique}
    return names


def test_every_unique_constraint_maps_to_a_precise_code_or_is_the_servers_own():
    unique = _named_unique_constraints()
    unmapped = unique - set(CONSTRAINT_REFUSALS) - INTERNAL_CONSTRAINTS
    assert unmapped == set(), f"unique constraints without an error code: {sorted(unmapped)}"
    assert unique & INTERNAL_CONSTRAINTS == INTERNAL_CONSTRAINTS, "stale internal names"


def test_every_mapped_constraint_exists_in_the_schema():
    constraints = _named_unique_constraints()
    for table in Base.metadata.tables.values():
        constraints |= {str(c.name) for c in table.constraints}
    assert set(CONSTRAINT_REFUSALS) - constraints == set()
    assert "uq_point_entries_member_id_source_key" in CONSTRAINT_REFUSALS
    for refusal in CONSTRAINT_REFUSALS.values():
        assert refusal.code is not ErrorCode.conflict_integrity


def test_every_foreign_key_a_request_can_name_refers_to_a_kind_with_a_not_found_code():
    for table in Base.metadata.tables.values():
        for fk in table.foreign_key_constraints:
            referred = fk.referred_table.name
            name = str(fk.name)
            assert name.startswith(f"fk_{table.name}_") and name.endswith(f"_{referred}"), name
    for code in REFERENCED_NOT_FOUND.values():
        assert code.value.endswith("not_found"), code


# Where a raise site's own words go: after the code (`Conflict(code, detail)`), or the
# message argument of the few helpers that carry words without a code.
_DETAIL_KEYWORDS = {"detail", "msg", "message"}
_MESSAGE_ONLY = {"PhoneError": 0}
_NOT_TEXT_TAKERS = {"RowError", "reject"}  # a Fault carries a Text already


def _detail_argument(node: ast.Call, takers: dict[str, int]) -> ast.expr | None:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if isinstance(func, ast.Attribute) and func.attr == "field":
        position = 2  # Unprocessable.field(field, code, detail)
    elif name in _MESSAGE_ONLY:
        position = _MESSAGE_ONLY[name]
    elif name in takers and name not in _NOT_TEXT_TAKERS:
        position = takers[name] + 1
    else:
        return None
    for keyword in node.keywords:
        if keyword.arg in _DETAIL_KEYWORDS:
            return keyword.value
    return node.args[position] if len(node.args) > position else None


def _is_text(node: ast.expr) -> bool:
    """`Text(zh=..., en=...)`, None, or a conditional choosing between them."""
    if isinstance(node, ast.Constant) and node.value is None:
        return True
    if isinstance(node, ast.IfExp):
        return _is_text(node.body) and _is_text(node.orelse)
    func = node.func if isinstance(node, ast.Call) else None
    return isinstance(func, ast.Name) and func.id == "Text"


def test_every_detail_a_raise_site_writes_is_bilingual():
    """A refusal's own words are `Text(zh=..., en=...)` where they are written: a plain
    string (a literal, an f-string, a variable, `str(exc)`) would be English under a
    Chinese title. mypy holds the declared types (`detail: Text | None`); this holds
    every call, including those that pass on what another raise site wrote."""
    import app.services.integration.imports  # noqa: F401  # declares ImportFileError

    takers = _error_takers()
    found = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            detail = _detail_argument(node, takers)
            if detail is not None and not _is_text(detail) and not _passes_on(detail):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(detail)}")
    assert found == []


def _passes_on(node: ast.expr) -> bool:
    """A Text another raise site wrote, handed on unchanged (`exc.message`, a helper's
    `detail` parameter): its type is `Text` (mypy), so it was bilingual where written."""
    return (isinstance(node, ast.Attribute) and node.attr in {"message", "detail"}) or (
        isinstance(node, ast.Name) and node.id in {"detail", "message"}
    )


def test_the_bilingual_detail_check_sees_a_plain_string_detail():
    takers = _error_takers()
    samples = {
        'Conflict(ErrorCode.x, "english only")': False,
        'Unprocessable.field("f", ErrorCode.x, f"{n} too many")': False,
        "Forbidden(ErrorCode.x, reason)": False,
        'PhoneError("digits only")': False,
        'Conflict(ErrorCode.x, Text(zh="中文", en="english"))': True,
        'Unprocessable.field("f", ErrorCode.x, msg=Text(zh="中文", en="e"))': True,
        "Conflict(ErrorCode.x)": True,
    }
    for source, bilingual in samples.items():
        call = ast.parse(source, mode="eval").body
        assert isinstance(call, ast.Call)
        detail = _detail_argument(call, takers)
        ok = detail is None or _is_text(detail) or _passes_on(detail)
        assert ok is bilingual, source


def test_a_chinese_detail_names_an_enum_value_by_its_label():
    from app.models.enums import MemberStatus, OrgType, label_zh

    assert label_zh(MemberStatus, "full") == "正式党员"
    assert label_zh(OrgType, OrgType.branch) == "党支部"
    assert label_zh(OrgType, "no_such_type") == "no_such_type"


def _literal_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    return None


def test_every_import_row_fault_is_written_in_chinese_and_english():
    """`RowError.one(field, code, zh, en)` and a row's `fault(field, code, zh, en)`: the
    Chinese words are Chinese and the English are there, where they are written."""
    calls, wrong = 0, []
    for path in sorted((ROOT / "app" / "services" / "integration" / "imports").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            func = node.func if isinstance(node, ast.Call) else None
            if not (isinstance(func, ast.Attribute) and func.attr in ("one", "fault")):
                continue
            assert isinstance(node, ast.Call)
            if len(node.args) < 4:
                continue
            calls += 1
            zh, en = _literal_text(node.args[2]), _literal_text(node.args[3])
            if zh is not None and not CJK.search(zh):
                wrong.append(f"{path.name}:{node.lineno}: zh {zh!r}")
            if en is not None and not en.strip():
                wrong.append(f"{path.name}:{node.lineno}: no English")
    assert calls > 10
    assert wrong == []
