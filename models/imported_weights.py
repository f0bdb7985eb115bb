"""What every import of released weights shares: thresholds that ship as a calibration file
bound to the weights by digest, and an import done once, atomically, at first start."""

import logging
import os
from collections.abc import Callable
from pathlib import Path

from models.checkpoint import CheckpointMetadata
from models.errors import CheckpointError

logger = logging.getLogger(__name__)


def carry_calibration(
    metadata: CheckpointMetadata, calibration: Path, digest_keys: tuple[str, ...]
) -> CheckpointMetadata:
    """``metadata`` with the thresholds and figures of ``calibration``, once the weights'
    digests (``metadata.metrics[key]`` for each key) and the pipeline are checked to be the
    ones they were measured on."""
    shipped = CheckpointMetadata.model_validate_json(calibration.read_text(encoding="utf-8"))
    for key in digest_keys:
        if shipped.metrics.get(key) != metadata.metrics[key]:
            raise CheckpointError(
                f"{calibration.name} was calibrated for other weights than these "
                f"({key} {str(metadata.metrics[key])[:12]}...): recalibrate with "
                "`twinverify calibrate`"
            )
    if (shipped.encoder, shipped.preprocessing) != (metadata.encoder, metadata.preprocessing):
        raise CheckpointError(f"{calibration.name} describes another pipeline: recalibrate")
    return metadata.model_copy(
        update={"thresholds": shipped.thresholds, "metrics": shipped.metrics}
    )


def import_once(out: Path, write: Callable[[Path], object], what: str) -> Path:
    """The checkpoint at ``out``, written by ``write(path)`` first if it is not there yet:
    under a temporary name, then renamed, so replicas starting together on a shared volume
    never read half a file."""
    if out.is_file():
        return out
    logger.info("importing %s -> %s", what, out)
    partial = out.with_name(f"{out.name}.{os.getpid()}.import")
    write(partial)
    partial.replace(out)
    return out
