"""Online signatures: trajectory formats and their refusals, the features, the DTW baseline."""

import json

import numpy as np
import pytest
import torch

from models.errors import (
    NonMonotonicTimeError,
    TooFewPointsError,
    TooManyPointsError,
    TrajectoryError,
)
from models.networks.sequence_gru import SequenceGRU, pad
from models.online.dtw import dtw_distance, dtw_score, reference_spread
from models.online.features import FEATURES, MAX_LENGTH, trajectory_features
from models.online.protocol import susig, svc2004
from models.online.trajectory import MAX_POINTS, Trajectory, checked, parse_json, read_svc2004
from tests.helpers import dataset_path

ONLINE = dataset_path("online")


def spiral(points: int = 200, turns: float = 2.0, seed: int = 0) -> np.ndarray:
    """A pen-down spiral sampled every 10 ms, pressure rising, as rows of the 5 columns."""
    rng = np.random.default_rng(seed)
    angle = np.linspace(0, 2 * np.pi * turns, points)
    radius = 100 + 20 * angle
    x, y = radius * np.cos(angle), radius * np.sin(angle)
    t = 10.0 * np.arange(points)
    pressure = np.linspace(200, 600, points) + rng.normal(0, 1, points)
    return np.stack([x, y, t, pressure, np.ones(points)], axis=1)


def as_json(rows: np.ndarray) -> bytes:
    return json.dumps({"points": rows.tolist()}).encode()


def test_json_trajectories_are_read_and_times_start_at_zero() -> None:
    rows = spiral()
    rows[:, 2] += 1.7e12  # milliseconds since the epoch, as a browser sends them
    trajectory = parse_json(as_json(rows))
    assert len(trajectory) == 200
    assert trajectory.points[0, 2] == 0.0
    assert trajectory.points[-1, 2] == pytest.approx(1990.0)
    np.testing.assert_allclose(trajectory.points[:, :2], rows[:, :2])


@pytest.mark.parametrize(
    ("data", "error", "words"),
    [
        (b"not json", TrajectoryError, "JSON"),
        (b'{"dots": []}', TrajectoryError, "JSON"),
        (b'{"points": [[1, 2, 3]]}', TrajectoryError, "5 values"),
        (as_json(spiral(10)), TooFewPointsError, "10 pen-down points"),
        (as_json(spiral(MAX_POINTS + 1)), TooManyPointsError, str(MAX_POINTS)),
        (b'{"points": [[1, 2, 3, 4, NaN]]}', TrajectoryError, "finite"),
    ],
)
def test_what_cannot_be_one_signature_is_refused_with_its_reason(
    data: bytes, error: type[TrajectoryError], words: str
) -> None:
    with pytest.raises(error, match=words):
        parse_json(data)


def test_time_running_backwards_is_refused_but_a_clock_glitch_is_carried_over() -> None:
    glitch = spiral()
    glitch[100, 2] = glitch[99, 2] - 10  # one sample back: a pad's jitter
    carried = checked(glitch)
    assert np.all(np.diff(carried.points[:, 2]) >= 0)
    shuffled = spiral()
    shuffled[100:, 2] -= 500  # half a second back: not one trajectory in order
    with pytest.raises(NonMonotonicTimeError):
        checked(shuffled)


def test_pen_up_points_do_not_count_and_are_not_compared() -> None:
    rows = spiral(40)
    rows[::2, 4] = 0  # every other point in the air
    assert len(trajectory_features(checked(rows))) == 20
    rows[:30, 4] = 0
    with pytest.raises(TooFewPointsError):
        checked(rows)


def test_features_ignore_where_and_how_large_one_signs() -> None:
    rows = spiral()
    moved = rows.copy()
    moved[:, :2] = rows[:, :2] * 3.0 + 5000.0
    a, b = trajectory_features(checked(rows)), trajectory_features(checked(moved))
    assert a.shape == (200, len(FEATURES))
    np.testing.assert_allclose(a, b, atol=1e-9)
    assert dtw_distance(a, b) == pytest.approx(0.0, abs=1e-9)


def test_long_signatures_are_thinned_to_a_bounded_length() -> None:
    assert len(trajectory_features(checked(spiral(1500)))) <= MAX_LENGTH


def test_dtw_scores_a_reference_like_probe_above_a_different_one() -> None:
    references = [trajectory_features(checked(spiral(seed=s))) for s in range(5)]
    spread = reference_spread(references)
    same = dtw_score(trajectory_features(checked(spiral(210, seed=9))), references, spread)
    other = dtw_score(trajectory_features(checked(spiral(200, turns=3.5))), references, spread)
    slow = spiral(400, seed=9)  # the same shape written at half the speed
    slower = dtw_score(trajectory_features(checked(slow)), references, spread)
    assert same > slower
    assert same > other


@pytest.mark.dataset
@pytest.mark.skipif(not ONLINE.is_dir(), reason="../shared/datasets/online is not present")
def test_the_protocols_hold_every_writer_and_trial_of_the_datasets() -> None:
    svc = svc2004(ONLINE / "svc2004")
    assert len(svc.writers) == 40
    assert svc.skipped == []
    assert {(len(w.references), len(w.genuine), len(w.skilled)) for w in svc.writers} == {
        (5, 15, 20)
    }
    first = read_svc2004(ONLINE / "svc2004" / "U1S1.TXT")
    assert isinstance(first, Trajectory)
    assert first.points[0, 2] == 0.0
    sus = susig(ONLINE / "susig")
    assert len(sus.writers) == 94
    assert {len(w.references) for w in sus.writers} == {5}
    assert sum(len(w.genuine) for w in sus.writers) == 940
    assert sum(len(w.skilled) for w in sus.writers) == 940


def test_the_sequence_encoder_ignores_padding_and_batch_neighbours() -> None:
    torch.manual_seed(0)
    model = SequenceGRU(len(FEATURES), embedding_size=16, hidden=8).eval()
    short = torch.from_numpy(trajectory_features(checked(spiral(40)))).float()
    long = torch.from_numpy(trajectory_features(checked(spiral(90, seed=3)))).float()
    with torch.inference_mode():
        alone = model(*pad([short]))
        together = model(*pad([short, long]))  # short padded to 90 steps here
    assert together.shape == (2, 16)
    torch.testing.assert_close(together[0], alone[0], rtol=0, atol=1e-5)
    torch.testing.assert_close(together.norm(dim=1), torch.ones(2))
    assert not torch.allclose(together[0], together[1])
