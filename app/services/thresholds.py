"""Which threshold decides a request: an explicit one, or a calibrated operating point."""

from dataclasses import dataclass

from app.core.errors import ThresholdOutOfRangeError, UnknownOperatingPointError
from models.evaluation.calibration import operating_point_key
from models.serving import ServedModel


@dataclass(frozen=True)
class Threshold:
    """What the request asked for: an operating point, an explicit threshold, or neither."""

    far: float | None = None
    value: float | None = None


@dataclass(frozen=True)
class DecisionRule:
    """``match = score >= threshold``; ``far`` is the target rate it was calibrated for
    (``None`` for an explicit threshold), ``reliable`` whether calibration could observe it."""

    threshold: float
    far: float | None
    operating_point: str | None
    reliable: bool | None


def decision_rule(
    model: ServedModel,
    far: float | None,
    threshold: float | None,
    default_far: float,
    calibrated_range_only: bool = True,
) -> DecisionRule:
    """``calibrated_range_only``: refuse an explicit threshold that accepts more than the
    model's loosest calibrated operating point (``-1e308`` would make anything a match)."""
    if threshold is not None:
        if calibrated_range_only:
            _check_in_calibrated_range(model, threshold)
        return DecisionRule(threshold, None, None, None)
    target = default_far if far is None else far
    point = model.operating_point(target)
    if point is None:
        offered = sorted(p.target_far for p in model.calibrated_points() if p.target_far)
        raise UnknownOperatingPointError(
            f"model {model.identity} has no operating point at far={target:g}; "
            f"calibrated: {', '.join(f'{f:g}' for f in offered) or 'none'} "
            "(or send an explicit threshold)"
        )
    return DecisionRule(point.threshold, target, operating_point_key(target), point.reliable)


def _check_in_calibrated_range(model: ServedModel, threshold: float) -> None:
    points = model.calibrated_points()
    if not points:
        return  # nothing calibrated to bound it by
    loosest = points[0]
    if threshold < loosest.threshold:
        raise ThresholdOutOfRangeError(
            f"threshold {threshold:g} accepts more than model {model.identity}'s "
            f"loosest calibrated operating point (far={loosest.target_far:g}, threshold "
            f"{loosest.threshold:g}), where no false accept rate is known; send a threshold "
            "of at least that (the server's TWINVERIFY_EXPLICIT_THRESHOLDS=any lifts this)"
        )
