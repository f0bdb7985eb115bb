"""Package boundaries: the training module never reaches into the service side."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_MODELS = {"app", "fastapi", "sqlalchemy", "starlette", "alembic", "uvicorn"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_models_never_imports_the_service_or_web_stack() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN_IN_MODELS)
        for path in (ROOT / "models").rglob("*.py")
        if imported_roots(path) & FORBIDDEN_IN_MODELS
    }
    assert offenders == {}


def test_the_check_itself_detects_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from app.cli import main\nimport fastapi.routing\n")
    assert imported_roots(sample) & FORBIDDEN_IN_MODELS == {"app", "fastapi"}
