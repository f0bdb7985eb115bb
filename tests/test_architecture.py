"""Package boundaries: the training module never reaches into the service side."""

import ast
import subprocess
import sys
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


def test_starting_the_service_does_not_load_the_training_stack() -> None:
    # `twinverify serve` runs uvicorn in the command line's own process: what the command
    # line imports, the service carries.
    probe = (
        "import sys, app.cli, app.main\n"
        "prefixes = ('pytorch_metric_learning', 'models.training', 'models.losses',"
        " 'models.data.augmentation')\n"
        "print(sorted(m for m in sys.modules if m.startswith(prefixes)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
