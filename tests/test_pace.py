"""Estimates from what the server measured (training.pace, training.limits.estimate): pure, with made-up measures."""
import math

import pytest

from mlp.config import TrainConfig
from mlp.cost import run_cost
from training.limits import Estimate, Limits, estimate, refusal
from training.pace import HALF_LIFE, UNMEASURED, Measure, Pace, paces_at
from training.words import format_range

MACHINE = 5e10  # a made-up machine speed: no timing in these tests
DEFAULT = TrainConfig()
SIZE = run_cost(DEFAULT, 54_000, 6_000).step_flops


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def pace_with(*notes: tuple[float, float, float], clock: Clock | None = None) -> Pace:
    """A pace that measured runs of (step flops, modelled seconds, wall seconds)."""
    pace = Pace(lambda: MACHINE, clock=clock or Clock(), load=lambda: 0.5)  # a quiet machine
    for number, (size, modelled, seconds) in enumerate(notes):
        pace.note(number, size, modelled, seconds)
    return pace


def modelled(config: TrainConfig = DEFAULT) -> float:
    return run_cost(config, 54_000, 6_000).seconds(MACHINE)


def test_before_anything_is_measured_the_estimate_is_the_machines_model_with_a_wide_range():
    found = estimate(DEFAULT, 54_000, 6_000, pace_with())
    start = 1.0  # the set-up allowed for before one was measured
    assert found.seconds == pytest.approx(start + modelled())
    assert (found.low, found.high) == pytest.approx((start + UNMEASURED[0] * modelled(),
                                                     start + UNMEASURED[1] * modelled()))


def test_it_learns_from_measured_runs_a_server_four_times_slower_than_its_model():
    pace = pace_with((SIZE, 10.0, 40.0), (SIZE, 20.0, 80.0), (SIZE, 5.0, 20.0))  # three runs, each 4x the model
    found = estimate(DEFAULT, 54_000, 6_000, pace)
    assert found.seconds - pace.startup() == pytest.approx(4 * modelled())
    assert found.low < found.seconds < found.high
    unmeasured = estimate(DEFAULT, 54_000, 6_000, pace_with())
    assert found.high / found.low < unmeasured.high / unmeasured.low  # measured: a narrower range


def test_runs_that_disagree_give_a_wider_range_around_their_middle():
    agree = paces_at(SIZE, [Measure(SIZE, 0.5, None, 0.0)] * 2, now=0.0)
    disagree = paces_at(SIZE, [Measure(SIZE, 0.25, None, 0.0), Measure(SIZE, 1.0, None, 0.0)], now=0.0)
    assert disagree.likely == pytest.approx(agree.likely) == pytest.approx(0.5)
    assert disagree.fast / disagree.slow > 2 * agree.fast / agree.slow


def test_a_measure_scales_to_other_sizes_with_a_range_widening_with_the_distance():
    measures = [Measure(SIZE, 0.5, None, 0.0)]
    near, far = paces_at(SIZE, measures, 0.0), paces_at(SIZE * 50, measures, 0.0)
    assert near.likely == far.likely == pytest.approx(0.5)
    assert far.fast / far.slow > near.fast / near.slow


def test_the_nearest_size_and_the_newest_measures_weigh_most():
    small, large = Measure(SIZE / 20, 0.2, None, 0.0), Measure(SIZE * 20, 1.0, None, 0.0)
    assert paces_at(SIZE / 10, [small, large], 0.0).likely < 0.25  # near the small one: its pace
    old, new = Measure(SIZE, 1.0, None, 0.0), Measure(SIZE, 0.25, None, 4 * HALF_LIFE)
    assert paces_at(SIZE, [old, new], now=4 * HALF_LIFE).likely == pytest.approx(0.25, rel=0.1)


def test_a_running_runs_later_note_replaces_its_earlier_one():
    pace = pace_with()
    pace.note("run", SIZE, 1.0, 10.0)  # early: slow (its first seconds)
    pace.note("run", SIZE, 10.0, 20.0)  # later: pace 0.5
    assert pace.paces(SIZE).likely == pytest.approx(0.5)


def test_the_cpu_pace_is_kept_apart_for_the_servers_limit():
    pace = pace_with()
    pace.note("busy", SIZE, 10.0, 40.0, core_seconds=10.0)  # 4x longer on the wall, as the model on its core
    found = estimate(DEFAULT, 54_000, 6_000, pace)
    assert found.limited_seconds == pytest.approx(modelled())  # the limit counts its core time, not the crowd's
    assert found.seconds > 3 * modelled()
    limits = Limits(run_minutes=found.seconds / 60 * 0.9, run_megabytes=1000, kept_megabytes=2000)
    assert refusal(found, limits) is None  # a busy moment does not shut a run out


def test_the_class_drawings_make_the_estimate_longer():
    pace = pace_with()
    assert estimate(DEFAULT, 54_000 + 3_000, 6_000, pace).seconds > estimate(DEFAULT, 54_000, 6_000, pace).seconds


def test_the_set_up_time_is_the_median_of_the_last_measured():
    pace = pace_with()
    for seconds in (3.0, 0.2, 0.3, 0.25):  # the first worker starts its process; later ones are reused
        pace.note_startup(seconds)
    assert pace.startup() == pytest.approx(0.275)


@pytest.mark.parametrize("low, high, words", [
    (20, 40, "about 20-40 s"), (21.2, 21.4, "about 21 s"), (120, 185, "about 2-3 min"), (50, 130, "about 50 s-2 min"),
    (0, 30, "about 30 s"), (math.nan, 5, "about 5 s"),
])
def test_a_range_in_words(low, high, words):
    assert format_range(low, high) == words


def test_the_estimate_says_its_range_its_memory_and_the_wait_in_line():
    cost = run_cost(DEFAULT, 54_000)
    found = Estimate(cost, 30, 20, 40)
    assert found.words == "about 20-40 s and 6 MB on this server"
    assert found.waiting((60, 100)).words == ("about 20-40 s and 6 MB on this server, after about 60 s-2 min in line "
                                              "for a worker")


def test_before_anything_is_measured_a_busy_machine_widens_the_range_upwards():
    quiet = estimate(DEFAULT, 54_000, 6_000, pace_with())
    busy = estimate(DEFAULT, 54_000, 6_000, Pace(lambda: MACHINE, clock=Clock(), load=lambda: 5.0))
    assert busy.seconds - busy.low == pytest.approx(quiet.seconds - quiet.low)  # the model: the same likely time
    assert busy.high > 4 * quiet.high  # but it may take as many times longer as processes want each core


def test_a_tiny_run_weighs_less_than_a_long_one():
    tiny, long = Measure(SIZE, 0.05, None, 0.0, work=0.5), Measure(SIZE, 1.0, None, 0.0, work=30.0)
    assert paces_at(SIZE, [tiny, long], 0.0).likely > 0.7  # the long run's pace, nearly
    assert paces_at(SIZE, [tiny], 0.0).likely == pytest.approx(0.05)  # alone, it is all there is
