"""Estimates from what the server measured (training.pace, training.limits.estimate): pure, with made-up measures."""
import math

import pytest

from mlp.config import TrainConfig
from mlp.cost import run_cost
from training.limits import Estimate, Limits, estimate, refusal
from training.pace import (
    CROWD_FRESH,
    CROWD_HALF_LIFE,
    CROWD_LONGER,
    HALF_LIFE,
    UNMEASURED,
    Crowd,
    Measure,
    Pace,
    core_share,
    crowd_from_share,
    paces_at,
)
from training.words import format_range

MACHINE = 5e10  # a made-up machine speed: no timing in these tests
IDLE = float  # the web process's CPU clock, standing still (0.0): it serves no page in these tests
DEFAULT = TrainConfig()
SIZE = run_cost(DEFAULT, 54_000, 6_000).step_flops


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def pace_with(*notes: tuple[float, float, float], clock: Clock | None = None) -> Pace:
    """A pace that measured runs of (step flops, modelled seconds, wall seconds)."""
    pace = Pace(lambda: MACHINE, own_cpu=IDLE, clock=clock or Clock(), cores=2, load=lambda: 0.0)  # a quiet machine
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


def test_before_a_worker_measured_its_share_a_busy_machine_is_told_a_range_down_to_its_share_at_the_load():
    quiet = estimate(DEFAULT, 54_000, 6_000, pace_with())
    busy = estimate(DEFAULT, 54_000, 6_000, Pace(lambda: MACHINE, own_cpu=IDLE, clock=Clock(), cores=2, load=lambda: 8.0))
    start = 1.0
    assert quiet.seconds - start == pytest.approx(modelled())  # a core to itself: the model's time
    assert busy.high - start == pytest.approx(modelled() * UNMEASURED[1] * 9 / 2)  # 8 others, itself: 2/9 of a core
    assert busy.low == pytest.approx(quiet.low)  # or a whole one: the load average alone does not say
    assert quiet.seconds < busy.seconds < busy.high  # likely between
    assert busy.limited_seconds == pytest.approx(quiet.limited_seconds)  # the limit counts its CPU time alone


def test_a_tiny_run_weighs_less_than_a_long_one():
    tiny, long = Measure(SIZE, 0.05, None, 0.0, work=0.5), Measure(SIZE, 1.0, None, 0.0, work=30.0)
    assert paces_at(SIZE, [tiny, long], 0.0).likely > 0.7  # the long run's pace, nearly
    assert paces_at(SIZE, [tiny], 0.0).likely == pytest.approx(0.05)  # alone, it is all there is


@pytest.mark.parametrize("cores, crowd, busy, share", [
    (2, 0, 1, 1.0), (2, 0, 2, 1.0), (2, 1, 2, 2 / 3), (2, 8, 2, 0.2), (1, 1, 1, 0.5), (4, 0, 8, 0.5)])
def test_the_cores_are_shared_evenly_by_every_process_wanting_one_at_most_a_whole_core_each(cores, crowd, busy, share):
    assert core_share(cores, crowd, busy) == pytest.approx(share)


@pytest.mark.parametrize("cores, crowd, busy", [(2, 1, 2), (2, 8, 1), (2, 7.5, 2), (4, 3, 3), (1, 0.5, 1)])
def test_a_workers_share_of_a_core_says_the_crowd_it_competed_with(cores, crowd, busy):
    assert crowd_from_share(cores, core_share(cores, crowd, busy), busy) == pytest.approx(crowd)


class Line:
    """The runs training and in line, as a test sets them."""
    def __init__(self):
        self.training, self.waiting = 0, 0

    def __call__(self) -> tuple[int, int]:
        return self.training, self.waiting


def test_a_workers_first_share_replaces_the_load_averages_guess():
    clock, line = Clock(), Line()
    pace = Pace(lambda: MACHINE, own_cpu=IDLE, clock=clock, load=lambda: 9.0, line=line, workers=2, cores=2)
    assert pace.crowd().guessed
    line.training = 1
    pace.note("run", SIZE, 3.0, 10.0, core_seconds=3.0)  # 0.3 of a core: 2/0.3 - 1 = 5.7 others
    crowd = pace.crowd()
    assert not crowd.guessed and crowd.mean == crowd.longer == pytest.approx(2 / 0.3 - 1)


def test_a_class_pressing_start_is_told_the_pace_of_both_workers_busy_not_that_of_the_quiet_run_before():
    clock, line = Clock(), Line()
    pace = Pace(lambda: MACHINE, own_cpu=IDLE, clock=clock, load=lambda: None, line=line, workers=2, cores=2)
    line.training = 1  # a lone run: its worker gets half a core, so it competed with 3 others on 2 cores
    pace.note("alone", SIZE, modelled(), 2 * modelled(), core_seconds=modelled())
    line.training = 0
    alone = estimate(DEFAULT, 54_000, 6_000, pace)
    assert alone.seconds - pace.startup() == pytest.approx(2 * modelled())  # the next one alone: as that one went
    line.waiting = 29  # a class in line: both workers busy, each among 3 others and the other worker
    crowded = estimate(DEFAULT, 54_000, 6_000, pace)
    assert crowded.seconds - pace.startup() == pytest.approx(modelled() * 5 / 2)  # 2/5 of a core each
    assert crowded.limited_seconds == pytest.approx(alone.limited_seconds) == pytest.approx(modelled())


def test_a_worker_with_a_whole_core_leaves_the_crowd_to_the_load_average():
    clock, line = Clock(), Line()
    load = [1.0]  # the worker: nothing else
    pace = Pace(lambda: MACHINE, own_cpu=IDLE, clock=clock, load=lambda: load[0], line=line, workers=2, cores=2)
    line.training = 1
    pace.note("run", SIZE, 10.0, 10.0, core_seconds=10.0)
    line.training, line.waiting = 1, 1  # a second run would get the other core
    assert pace.share().likely == pytest.approx(1.0)
    load[0] = 3.0  # two more processes want a core: a whole core for one worker said the crowd is at most 1
    clock.now += CROWD_HALF_LIFE
    pace.note("run", SIZE, 20.0, 20.0, core_seconds=20.0)
    assert pace.share().likely < 1.0


def test_with_no_worker_training_the_load_average_is_read_and_older_readings_fade():
    clock, load, line = Clock(), [0.0], Line()
    pace = Pace(lambda: MACHINE, own_cpu=IDLE, clock=clock, cores=2, load=lambda: load[0], line=line)
    line.training = 1
    pace.note("run", SIZE, 4.0, 4.0, core_seconds=4.0)  # a worker had a whole core: the crowd is measured, not guessed
    line.training = 0
    clock.now += CROWD_FRESH + 1  # and then nothing trains for a minute
    assert pace.share().likely == pytest.approx(1.0)
    load[0] = 8.0  # 8 others now
    clock.now += CROWD_HALF_LIFE / 2
    changing = pace.share()
    assert changing.low < changing.likely < 1.0 == changing.high  # it may go on rising, or fall back
    for _ in range(8 * int(CROWD_LONGER)):  # a reading a second for 8 of the longer half-lives: the old all but gone
        clock.now += 1.0
        pace.share()
    steady = pace.share()
    assert steady.likely == pytest.approx(2 / 9, rel=0.05)
    assert steady.high / steady.low < 1.05  # steady again: the range narrows


def test_a_burst_of_readings_in_one_moment_counts_like_that_moment():
    crowd = Crowd().observed(2.0, 0.0)
    assert crowd.mean == crowd.longer == 2.0 and crowd.spread == 0.0  # the first is all there is
    burst = crowd
    for moment in range(10):  # ten readings within a tenth of a second
        burst = burst.observed(10.0, 0.01 * (moment + 1))
    assert burst.mean < 2.1
    later = crowd.observed(10.0, CROWD_HALF_LIFE)  # one half-life later: as much as all before it (at most half)
    assert later.mean == pytest.approx(6.0) and later.longer < later.mean


def test_a_workers_share_is_trusted_over_the_load_average_for_a_minute():
    clock, line = Clock(), Line()
    pace = Pace(lambda: MACHINE, own_cpu=IDLE, clock=clock, load=lambda: 20.0, line=line, workers=2, cores=2)
    line.training = 1
    pace.note("run", SIZE, 4.0, 8.0, core_seconds=4.0)  # half a core: 3 others, whatever the load average says
    clock.now += CROWD_FRESH / 2
    assert pace.crowd().mean == pytest.approx(3.0)
    clock.now += CROWD_FRESH  # no news from a worker for a minute: the load average is read again
    assert pace.crowd().mean > 3.0


def test_an_optimiser_with_fewer_passes_over_the_weights_is_timed_shorter():
    times = [run_cost(TrainConfig(optimizer=name), 54_000, 6_000).seconds(MACHINE)
             for name in ("sgd", "momentum", "nesterov", "rmsprop", "adam")]
    assert times == sorted(times) and times[0] < 0.9 * times[-1]
    assert modelled(TrainConfig(optimizer="adam")) == modelled()  # the default: the work the model was measured with


def test_the_pages_go_first_a_busy_web_process_leaves_the_workers_less():
    clock, line, cpu = Clock(), Line(), [0.0]
    pace = Pace(lambda: MACHINE, own_cpu=lambda: cpu[0], clock=clock, load=lambda: None, line=line, workers=2, cores=2)
    line.training = 1
    pace.note("alone", SIZE, 4.0, 8.0, core_seconds=4.0)  # half a core, the pages idle: 3 others on 2 cores
    line.training, line.waiting = 0, 29
    assert pace.share().likely == pytest.approx(2 / 5)
    for _ in range(8 * int(CROWD_LONGER)):  # thirty pages: the web process uses half a core, second after second
        clock.now += 1.0
        cpu[0] += 0.5
        pace.pages()
    assert pace.pages() == pytest.approx(0.5)
    assert pace.share().likely == pytest.approx((2 - 0.5) / 5)
    assert crowd_from_share(2, core_share(2, 3.0, 2, 0.5), 2, 0.5) == pytest.approx(3.0)
