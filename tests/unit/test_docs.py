"""The documents README cites stay true: every link leads to a file, and every problem
code, file, setting and policy key they name in `code` exists."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from app.config import Settings
from app.error_codes import ErrorCode
from app.services.lifecycle import FLAG_CODES
from app.services.policies import DEFAULTS

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [*DOCS, ROOT / "README.md"]
LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")
DOTTED = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
FILE_SUFFIXES = (".py", ".md", ".json", ".ts", ".toml", ".lock", ".ini", ".txt", ".csv")
SETTING = re.compile(r"\bDANGJIAN_[A-Z0-9_]+\b")
POLICY_LIST = re.compile(r"polic(?:y|ies)\s+((?:`[a-z_]+`(?:,\s*|\s+and\s+|\s*)?)+)")
APP_SOURCE = "\n".join(p.read_text("utf-8") for p in (ROOT / "app").rglob("*.py"))


def _codes(page: Path) -> list[str]:
    return CODE.findall(page.read_text("utf-8"))


def test_the_contract_documents_exist_and_readme_cites_them():
    readme = ROOT / "README.md"
    links = set(LINK.findall(readme.read_text("utf-8")))
    assert "docs/api-conventions.md" in links
    assert "docs/domain-rules.md" in links
    assert not any("shared/" in link for link in links)


def test_every_link_in_the_docs_leads_to_a_file():
    broken = []
    for page in PAGES:
        for target in LINK.findall(page.read_text("utf-8")):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#", 1)[0]).resolve()
            if not path.exists():
                broken.append(f"{page.name}: {target}")
    assert broken == []


def _python_name(token: str) -> bool:
    """`pagination.paginate_rows`, `app.main._mount`, `points.create_entry`: a name in the
    code (under `app`, `app.services` or as written)."""
    for prefix in ("", "app.", "app.services."):
        parts = (prefix + token).split(".")
        for cut in range(len(parts) - 1, 0, -1):
            try:
                target: object = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for attribute in parts[cut:]:
                target = getattr(target, attribute, None)
            if target is not None:
                return True
            break
    return False


def _known_dotted(token: str) -> bool:
    """A problem code of the catalogue, a request validator's `value.*` field code, a
    lifecycle flag, another stable code the app writes (a flag, a trigger), or a name in
    the code."""
    if token in {c.value for c in ErrorCode} or token in FLAG_CODES:
        return True
    if token.startswith("value."):
        return True
    if f'"{token}"' in APP_SOURCE or f"`{token}`" in APP_SOURCE:
        return True
    return _python_name(token)


def test_every_code_named_in_the_docs_exists():
    unknown = []
    for page in PAGES:
        for token in _codes(page):
            dotted = DOTTED.match(token) and not token.endswith(FILE_SUFFIXES)
            if dotted and not _known_dotted(token):
                unknown.append(f"{page.name}: {token}")
    assert unknown == []


def test_an_unknown_code_would_be_noticed():
    assert not _known_dotted("member.no_such_rule")
    assert not _known_dotted("pagination.no_such_function")
    assert _known_dotted("member.id_number_checksum")


def test_every_file_named_in_the_docs_exists():
    missing = []
    for page in PAGES:
        for token in _codes(page):
            if " " in token or "/" not in token or not token.endswith(FILE_SUFFIXES):
                continue
            if token.startswith(("/", "$")) or "..." in token:
                continue  # a URL path, a variable's path, an elided one
            places = (ROOT, ROOT / "app", ROOT / "app" / "services", page.parent)
            candidates = [place / token for place in places]
            if not any(c.exists() for c in candidates):
                missing.append(f"{page.name}: {token}")
    assert missing == []


def test_every_setting_named_in_the_docs_exists():
    fields = set(Settings.model_fields)
    unknown = [
        f"{page.name}: {name}"
        for page in PAGES
        for name in SETTING.findall(page.read_text("utf-8"))
        if name.removeprefix("DANGJIAN_").lower() not in fields
    ]
    assert unknown == []


def test_the_domain_rules_name_every_policy_and_only_real_ones():
    text = (ROOT / "docs" / "domain-rules.md").read_text("utf-8")
    named = {key for group in POLICY_LIST.findall(text) for key in CODE.findall(group)}
    assert named - set(DEFAULTS) == set()
    assert set(DEFAULTS) - named == set()
