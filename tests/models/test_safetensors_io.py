"""Files the project writes are readable by whom the umask says; unreadable ones say why.

safetensors' own writer makes every file 0600, so a checkpoint written at image build time
was unreadable by the service's user, and its reader reports that as "No such file".
"""

import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from models.checkpoint import load_checkpoint, read_metadata, save_checkpoint
from models.errors import CheckpointError
from models.safetensors_io import write_safetensors
from tests.models.test_checkpoint import metadata, trained_model

NOBODY = 65534


@pytest.fixture
def umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask")
@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_checkpoint_gets_the_mode_the_umask_gives(
    tmp_path: Path, mask: int, expected: int
) -> None:
    os.umask(mask)
    path = tmp_path / "model.safetensors"
    save_checkpoint(path, trained_model(), metadata())
    assert mode(path) == expected
    assert read_metadata(path).name == "unit"


@pytest.mark.usefixtures("umask")
def test_a_partial_file_left_by_a_crash_does_not_pass_on_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "state.safetensors"
    stale = tmp_path / "state.safetensors.partial"
    stale.write_bytes(b"half a file")
    stale.chmod(0o600)
    write_safetensors(path, {"x": torch.arange(3)}, metadata={"k": "v"})
    assert mode(path) == 0o644
    assert not stale.exists()


def test_a_missing_checkpoint_says_so(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="No such file or directory"):
        load_checkpoint(tmp_path / "absent.safetensors")


def read_as_nobody(path: Path) -> str:
    """What ``read_metadata`` says in a child process that runs as the user nobody.

    Forked after the imports, so the child needs no access to the interpreter's files."""
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child process
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            try:
                said = f"read {read_metadata(path).name}"
            except CheckpointError as error:
                said = str(error)
            os.write(writer, said.encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        said = pipe.read()
    os.waitpid(child, 0)
    return said


@pytest.mark.skipif(os.geteuid() != 0, reason="reading as another user needs root")
@pytest.mark.usefixtures("umask")
def test_a_checkpoint_another_user_may_not_read_says_permission_denied() -> None:
    # Outside pytest's private temporary folder, so that only the file's own mode decides.
    with tempfile.TemporaryDirectory() as folder:
        Path(folder).chmod(0o755)
        path = Path(folder) / "model.safetensors"
        os.umask(0o077)
        save_checkpoint(path, trained_model(), metadata())
        refused = read_as_nobody(path)
        assert "not a readable safetensors checkpoint" in refused, refused
        assert "Permission denied" in refused, refused
        assert "No such file" not in refused
        path.chmod(0o644)
        assert read_as_nobody(path) == "read unit"
