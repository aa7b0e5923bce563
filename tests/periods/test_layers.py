"""The periods domain sits below tasks: the rooms below never import from the rooms above."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"


def imported_packages(package: str) -> set[str]:
    found = set()
    for path in (APP / package).glob("*.py"):
        if path.name == "router.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app."):
                found.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("app.")}
    return found - {package}


@pytest.mark.parametrize(
    ("package", "above"),
    [
        ("tasks", {"dashboard", "imports", "reports", "risks", "returns"}),
        ("periods", {"tasks", "dashboard", "imports", "reports", "risks", "returns"}),
    ],
)
def test_rules_never_import_from_a_room_above(package: str, above: set[str]) -> None:
    assert imported_packages(package) & above == set()
