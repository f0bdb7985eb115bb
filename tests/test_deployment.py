"""The Docker image and the compose file, checked without a Docker engine.

The Dockerfile installs the project exactly as the README's commands do, lints clean
(hadolint), and has the production shape; the compose file validates (``docker-compose
config``), wires db -> migrate -> api, and takes its secrets and settings as documented.
Building the images and running the stack need an engine: ``.ci/stack`` does that, and
tests/stack runs against the containers.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from app.core.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
SECRETS = {"POSTGRES_PASSWORD": "p" * 20, "TWINVERIFY_ADMIN_KEY": "k" * 32}
BOTH_SECRETS = "set POSTGRES_PASSWORD and TWINVERIFY_ADMIN_KEY in .env"


def tool(name: str) -> str:
    """A command-line tool, or a skip naming it (a failure in CI, which must run it)."""
    found = shutil.which(name) or shutil.which(name, path=str(ROOT / ".venv" / "bin"))
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed (CI must run this check)")
        pytest.skip(f"{name} is not installed")
    return found


def run_instructions() -> list[str]:
    """Every RUN instruction, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    return [line for line in joined.splitlines() if line.startswith("RUN ")]


def test_the_image_installs_the_project_as_the_readme_does() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme
    assert "make test" in readme
    makefile = (ROOT / "Makefile").read_text()
    # `make run` and `make test` both go through `install`, whose recipe installs the
    # project from pyproject.toml with an extras group...
    assert re.search(r"^run: install$", makefile, re.MULTILINE)
    assert re.search(r"^test: install$", makefile, re.MULTILINE)
    assert "pip install --quiet $(PIP_ARGS) --editable '.[$(EXTRAS)]'" in makefile
    # ...and the image runs that very target, with the service's extras.
    installs = [line for line in run_instructions() if "install" in line and "apt-get" not in line]
    assert any("make install VENV=/opt/venv EXTRAS=server" in line for line in installs)
    assert not any(re.search(r"\bpip3? install\b", line) for line in installs), installs
    # No second dependency list to drift from pyproject.toml.
    assert not list(ROOT.glob("requirements*.txt"))
    assert "requirements" not in DOCKERFILE
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r"^server = \[\]$", pyproject, re.MULTILINE)


def test_the_image_has_the_production_shape() -> None:
    stages = re.findall(r"^FROM \S+ AS (\w+)$", DOCKERFILE, re.MULTILINE)
    assert stages == ["builder", "runtime"]
    runtime = DOCKERFILE.split("AS runtime", 1)[1]
    # a non-root user, by number
    [user] = re.findall(r"^USER (\S+)$", runtime, re.MULTILINE)
    assert user.split(":")[0] not in ("0", "root")
    assert user.split(":")[0].isdigit()
    assert "/health/ready" in re.search(r"^HEALTHCHECK .*", runtime, re.MULTILINE | re.DOTALL)[0]
    # CPU or CUDA torch by build argument
    assert "ARG TORCH=cpu" in DOCKERFILE
    assert "download.pytorch.org/whl/cpu" in DOCKERFILE
    # the face weights are imported at build time, and the service pointed at them
    imported = re.search(r"twinverify import-fusion --out (\S+)", DOCKERFILE)
    assert imported is not None
    assert f"TWINVERIFY_FACE_CHECKPOINT={imported[1]}" in runtime
    assert "*.dat" in DOCKERFILE  # dlib's files (one non-commercial) are not shipped
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignored[1] == "*"  # everything is excluded unless listed: no .venv, data, .git


def test_a_code_change_reuses_the_dependency_layer() -> None:
    builder = DOCKERFILE.split("AS runtime", 1)[0]
    # The slow install sees only the Makefile and pyproject.toml; the code comes after it.
    install = builder.index("make install VENV=/opt/venv")
    assert builder.index("COPY Makefile pyproject.toml ./") < install < builder.index("COPY app")
    assert "COPY . " not in DOCKERFILE
    # The runtime stage copies the environment first and the code last.
    runtime = DOCKERFILE.split("AS runtime", 1)[1]
    assert runtime.index("COPY --from=builder /opt/venv") < runtime.index("COPY app")


def test_the_dockerfile_lints_clean() -> None:
    result = subprocess.run(
        [tool("hadolint"), str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def compose_config(
    tmp_path: Path, env_file: str | None = None, **environment: str
) -> subprocess.CompletedProcess[str]:
    """``docker-compose config`` on a copy of the compose file, with ``.env`` holding
    ``env_file`` (the example's text by default; none at all for "")."""
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    text = (ROOT / ".env.example").read_text() if env_file is None else env_file
    if text:
        (tmp_path / ".env").write_text(text)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWINVERIFY_", "POSTGRES"))}
    return subprocess.run(
        [tool("docker-compose"), "--profile", "gpu", "config"],
        cwd=tmp_path,
        env={**env, **environment},
        capture_output=True,
        text=True,
        check=False,
    )


def test_compose_validates_and_wires_db_migrate_api(tmp_path: Path) -> None:
    result = compose_config(tmp_path, **SECRETS)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert set(services) == {"db", "migrate", "api", "api-gpu"}
    db, migrate, api, gpu = (services[name] for name in ("db", "migrate", "api", "api-gpu"))
    assert db["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(volume.startswith("pgdata:") for volume in db["volumes"])
    assert migrate["command"] == ["twinverify", "db", "upgrade"]
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert api["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert [p["target"] for p in api["ports"]] == [8000]
    for service in (migrate, api, gpu):
        environment = service["environment"]
        assert environment["TWINVERIFY_ENVIRONMENT"] == "production"
        assert environment["TWINVERIFY_ADMIN_KEY"] == "k" * 32
        assert "p" * 20 + "@db:5432" in environment["TWINVERIFY_DATABASE_URL"]
    assert gpu["profiles"] == ["gpu"]
    assert gpu["build"]["args"]["TORCH"] == "cuda"
    assert gpu["environment"]["TWINVERIFY_DEVICE"] == "cuda"
    [device] = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia"
    assert "profiles" not in api


@pytest.mark.parametrize("missing", ["POSTGRES_PASSWORD", "TWINVERIFY_ADMIN_KEY"])
def test_compose_without_a_secret_stops_naming_both(tmp_path: Path, missing: str) -> None:
    given = {name: value for name, value in SECRETS.items() if name != missing}
    result = compose_config(tmp_path, **given)
    assert result.returncode != 0
    assert BOTH_SECRETS in result.stderr, result.stderr
    assert "deploy/generate-env" in result.stderr


def test_a_fresh_clone_without_dot_env_is_told_what_to_set(tmp_path: Path) -> None:
    # No "Couldn't find env file": the secrets are the only thing missing.
    result = compose_config(tmp_path, env_file="")
    assert result.returncode != 0
    assert BOTH_SECRETS in result.stderr, result.stderr
    assert "env file" not in result.stderr.lower()
    # The two values in the environment alone are enough: no .env is needed.
    assert compose_config(tmp_path, env_file="", **SECRETS).returncode == 0


def test_settings_in_dot_env_reach_the_api_and_the_rest_keep_their_defaults(
    tmp_path: Path,
) -> None:
    dot_env = "TWINVERIFY_FACE_SELECTION=central\nTWINVERIFY_SIGNATURE_CHECKPOINT=\n"
    result = compose_config(tmp_path, env_file=dot_env, **SECRETS)
    assert result.returncode == 0, result.stderr
    environment = yaml.safe_load(result.stdout)["services"]["api"]["environment"]
    assert environment["TWINVERIFY_FACE_SELECTION"] == "central"
    assert environment["TWINVERIFY_SIGNATURE_CHECKPOINT"] == ""  # empty: modality disabled
    assert environment["TWINVERIFY_SIGNATURE_DEFAULT_FAR"] is None  # unset: the API's default
    # Every setting is either fixed by compose or passed on from .env.
    assert set(environment) == {f"TWINVERIFY_{field.upper()}" for field in Settings.model_fields}
    # The image's face model unless .env names another.
    [image_default] = re.findall(r"TWINVERIFY_FACE_CHECKPOINT=(\S+)", DOCKERFILE)
    assert environment["TWINVERIFY_FACE_CHECKPOINT"] == image_default


def test_base_images_are_variables_for_air_gapped_builds(tmp_path: Path) -> None:
    bases = {"PYTHON_IMAGE": "mirror/python:bookworm", "POSTGRES_IMAGE": "mirror/pg:bookworm"}
    services = yaml.safe_load(compose_config(tmp_path, **SECRETS, **bases).stdout)["services"]
    assert services["db"]["image"] == "mirror/pg:bookworm"
    for name in ("migrate", "api", "api-gpu"):
        assert services[name]["build"]["args"]["PYTHON_IMAGE"] == "mirror/python:bookworm"
    defaults = yaml.safe_load(compose_config(tmp_path, **SECRETS).stdout)["services"]
    assert defaults["db"]["image"] == "postgres:16-bookworm"
    assert defaults["api"]["build"]["args"]["PYTHON_IMAGE"] == "python:3.12-slim-bookworm"
    assert "ARG PYTHON_IMAGE=python:3.12-slim-bookworm" in DOCKERFILE
    # The legacy builder works offline; a `# syntax=` line makes BuildKit pull from Docker Hub.
    assert not re.search(r"^# *syntax=", DOCKERFILE, re.MULTILINE)


def test_generated_secrets_are_accepted_and_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    script = shutil.copy(ROOT / "deploy" / "generate-env", tmp_path / "deploy")
    (tmp_path / ".env").write_text("POSTGRES_PASSWORD=\nTWINVERIFY_FACE_SELECTION=central\n")
    subprocess.run([script], check=True, capture_output=True)
    first = (tmp_path / ".env").read_text()
    subprocess.run([script], check=True, capture_output=True)
    assert (tmp_path / ".env").read_text() == first
    assert (tmp_path / ".env").stat().st_mode & 0o077 == 0
    values = dict(line.split("=", 1) for line in first.splitlines())
    assert values["TWINVERIFY_FACE_SELECTION"] == "central"
    password, admin_key = values["POSTGRES_PASSWORD"], values["TWINVERIFY_ADMIN_KEY"]
    assert re.fullmatch(r"[0-9a-f]{48}", password)
    assert re.fullmatch(r"[0-9a-f]{64}", admin_key)
    url = f"postgresql+psycopg://twinverify:{password}@db:5432/twinverify"
    assert Settings(environment="production", admin_key=admin_key, database_url=url)
    result = compose_config(tmp_path, env_file=first)
    assert result.returncode == 0, result.stderr


def test_the_settings_compose_passes_are_accepted_and_placeholders_refused() -> None:
    url = "postgresql+psycopg://twinverify:{}@db:5432/twinverify"
    good = Settings(environment="production", admin_key="k" * 32, database_url=url.format("p" * 20))
    assert good.environment == "production"
    with pytest.raises(ValueError, match="database password"):
        Settings(environment="production", admin_key="k" * 32, database_url=url.format("change-me"))
    with pytest.raises(ValueError, match="TWINVERIFY_ADMIN_KEY"):
        Settings(environment="production", admin_key="change-me", database_url=url.format("p" * 20))


def test_every_setting_is_in_the_deployment_guide() -> None:
    guide = (ROOT / "docs" / "deployment.md").read_text()
    for field in Settings.model_fields:
        assert f"`TWINVERIFY_{field.upper()}`" in guide, field
