"""training.once.OncePerKey: a server makes each result once, however many sessions ask at the same time."""
import threading

import pytest

from training.once import OncePerKey


def test_a_key_asked_for_while_it_is_being_made_is_made_once():
    once: OncePerKey[list] = OncePerKey(most=4)
    started, release, made = threading.Event(), threading.Event(), []

    def slow() -> list:
        made.append("first")
        started.set()
        release.wait(30)
        return ["result"]

    first = threading.Thread(target=lambda: once.get_or_make("k", slow))
    first.start()
    assert started.wait(30)
    assert once.busy("k") and once.get("k") is None
    got = []
    second = threading.Thread(target=lambda: got.append(once.get_or_make("k", lambda: made.append("again") or [])))
    second.start()
    release.set()
    first.join(30), second.join(30)
    assert made == ["first"] and got == [["result"]] and got[0] is once.get("k")
    assert not once.busy("k")


def test_a_failed_make_leaves_nothing_and_the_next_caller_tries_again():
    once: OncePerKey[int] = OncePerKey(most=4)

    def broken() -> int:
        raise RuntimeError("out of memory")

    with pytest.raises(RuntimeError):
        once.get_or_make("k", broken)
    assert once.get("k") is None and not once.busy("k")
    assert once.get_or_make("k", lambda: 7) == 7


def test_the_oldest_result_goes_when_the_map_is_full():
    once: OncePerKey[int] = OncePerKey(most=2)
    for i in range(3):
        once.get_or_make(i, lambda i=i: i * 10)
    assert once.get(0) is None and once.get(1) == 10 and once.get(2) == 20
