"""Settings from the environment, and ``twinverify db`` driving Alembic."""

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import create_engine, inspect

from app.cli import main
from app.core.config import Settings, get_settings
from models.bundled import SIGNATURE_CHECKPOINT


def test_default_database_is_an_sqlite_file_in_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TWINVERIFY_DATA_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("TWINVERIFY_DATABASE_URL", raising=False)
    settings = Settings()
    assert (
        settings.resolved_database_url
        == f"sqlite:///{(tmp_path / 'state' / 'twinverify.db').resolve()}"
    )


def test_the_default_models_and_empty_disables_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TWINVERIFY_SIGNATURE_CHECKPOINT", raising=False)
    monkeypatch.delenv("TWINVERIFY_FACE_CHECKPOINT", raising=False)
    monkeypatch.setenv("TWINVERIFY_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.signature_checkpoint == SIGNATURE_CHECKPOINT
    assert SIGNATURE_CHECKPOINT.is_file()
    # The face model is imported from dlib's weights into the data directory on first start.
    assert settings.face_checkpoint == tmp_path / "models" / "face-dlib-sface-fusion-v1.safetensors"
    monkeypatch.setenv("TWINVERIFY_SIGNATURE_CHECKPOINT", "")
    monkeypatch.setenv("TWINVERIFY_FACE_CHECKPOINT", "")
    assert Settings().signature_checkpoint is None
    assert Settings().face_checkpoint is None
    monkeypatch.setenv("TWINVERIFY_FACE_CHECKPOINT", str(tmp_path / "mine.safetensors"))
    assert Settings().face_checkpoint == tmp_path / "mine.safetensors"


def test_production_refuses_a_placeholder_admin_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWINVERIFY_ENVIRONMENT", "production")
    monkeypatch.setenv("TWINVERIFY_ADMIN_KEY", "changeme")
    with pytest.raises(ValidationError, match="TWINVERIFY_ADMIN_KEY"):
        Settings()
    monkeypatch.setenv("TWINVERIFY_ADMIN_KEY", "k" * 32)
    assert Settings().admin_key is not None


def test_db_upgrade_and_downgrade_commands(
    monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("TWINVERIFY_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        assert main(["db", "upgrade"]) == 0
        engine = create_engine(database_url)
        assert "reference_embeddings" in inspect(engine).get_table_names()
        assert main(["db", "downgrade", "base"]) == 0
        assert "reference_embeddings" not in inspect(engine).get_table_names()
        engine.dispose()
    finally:
        get_settings.cache_clear()


def test_every_setting_is_documented_in_the_env_example() -> None:
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    for field in Settings.model_fields:
        assert f"TWINVERIFY_{field.upper()}=" in example, field
