"""training.once.SharedRuns: a server trains each key once, however many sessions ask while it trains."""
import threading

import pytest

from training.once import SharedRuns


class FakeRun:
    """A run as SharedRuns sees one: under way until the test ends it, with a result or without."""

    def __init__(self, name: str = "run"):
        self.name, self.result, self.done, self.abandoned = name, None, False, False

    def finish(self, result) -> "FakeRun":
        self.result, self.done = result, True
        return self

    def end(self, abandoned: bool) -> "FakeRun":
        self.done, self.abandoned = True, abandoned
        return self


def test_the_first_to_ask_starts_the_run_and_the_others_meanwhile_get_the_same_run():
    shared, started = SharedRuns(most=4), []

    def start() -> FakeRun:
        started.append(FakeRun())
        return started[-1]

    asks = [None] * 8
    threads = [threading.Thread(target=lambda i=i: asks.__setitem__(i, shared.get_or_start("k", start)))
               for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(started) == 1
    assert all(run is started[0] for run, _ in asks) and sorted(new for _, new in asks) == [False] * 7 + [True]
    assert shared.get("k") is None


def test_a_finished_runs_result_is_kept_and_handed_out_instead_of_the_run():
    shared = SharedRuns(most=4)
    run, _ = shared.get_or_start("k", FakeRun)
    run.finish(["result"])
    assert shared.get_or_start("k", lambda: FakeRun("again")) == (["result"], False)
    assert shared.get("k") == ["result"]


def test_an_abandoned_run_is_forgotten_and_the_next_to_ask_starts_it_again():
    shared = SharedRuns(most=4)
    first, _ = shared.get_or_start("k", FakeRun)
    first.end(abandoned=True)
    again, new = shared.get_or_start("k", lambda: FakeRun("again"))
    assert new and again.name == "again"


def test_a_failed_run_stays_for_its_pages_to_say_why_until_forgotten():
    shared = SharedRuns(most=4)
    failed, _ = shared.get_or_start("k", FakeRun)
    shared.forget("k")  # still under way: nothing to forget
    assert shared.get_or_start("k", lambda: FakeRun("again")) == (failed, False)
    failed.end(abandoned=False)
    assert shared.get_or_start("k", lambda: FakeRun("again")) == (failed, False)
    shared.forget("k")
    again, new = shared.get_or_start("k", lambda: FakeRun("again"))
    assert new and again.name == "again"


def test_a_start_that_raises_leaves_nothing_behind():
    shared = SharedRuns(most=4)

    def refused() -> FakeRun:
        raise ValueError("This run would take too long")

    with pytest.raises(ValueError):
        shared.get_or_start("k", refused)
    run, new = shared.get_or_start("k", FakeRun)
    assert new and run.name == "run"


def test_the_oldest_result_goes_when_the_map_is_full():
    shared = SharedRuns(most=2)
    for i in range(3):
        run, _ = shared.get_or_start(i, FakeRun)
        run.finish(i * 10)
        assert shared.get(i) == i * 10
    assert shared.get(0) is None and shared.get(1) == 10 and shared.get(2) == 20
