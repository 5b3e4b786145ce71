"""The fair line for the training workers (training.line): turns round-robin across addresses, a cap per
workspace, waits from the runs ahead. Pure: tickets are strings, waits come from made-up run times."""
import threading

import pytest

from training.line import LOCAL, FairLine, LineRefused, Visitor, address_key
from waiting import wait_until


def attacker(number: int) -> Visitor:
    """Each of a hostile visitor's sessions: no cookie, so a fresh workspace each time, from one address."""
    return Visitor(f"attack-{number}", "203.0.113.9")


def test_a_student_on_another_address_goes_before_twenty_sessions_of_one_visitor():
    line, never = FairLine(limit=2, per_workspace=2), threading.Event()
    for number in range(20):
        line.join(f"a{number}", attacker(number))
    assert line.acquire("a0", never.is_set) and line.acquire("a1", never.is_set)  # 2 train, 18 wait
    line.join("student", Visitor("student's", "198.51.100.7"))
    assert line.place("student") == 1
    assert [line.place(f"a{n}") for n in range(2, 5)] == [2, 3, 4]


def test_a_class_sharing_one_address_is_served_first_come_first_served():
    line = FairLine(limit=1)
    for number in range(5):
        line.join(f"s{number}", Visitor(f"ws{number}", "192.0.2.1"))
    assert [line.place(f"s{n}") for n in range(5)] == [1, 2, 3, 4, 5]


def test_turns_alternate_between_addresses_the_one_served_longest_ago_first():
    line, never = FairLine(limit=1), threading.Event()
    line.join("a-running", attacker(0))
    assert line.acquire("a-running", never.is_set)  # the attacker's address was just served
    for number in (1, 2):
        line.join(f"a{number}", attacker(number))
    for number in (1, 2):
        line.join(f"b{number}", Visitor(f"b{number}", "198.51.100.7"))
    order = sorted(["a1", "a2", "b1", "b2"], key=line.place)
    assert order == ["b1", "a1", "b2", "a2"]


def test_the_workers_go_in_that_order_as_they_free_up():
    line, never = FairLine(limit=1), threading.Event()
    for number in range(4):
        line.join(f"a{number}", attacker(number))
    assert line.acquire("a0", never.is_set)
    served = []

    def take(ticket: str) -> None:
        line.acquire(ticket, never.is_set)
        served.append(ticket)

    threads = [threading.Thread(target=take, args=(t,)) for t in ("a1", "a2", "a3")]
    for thread in threads:
        thread.start()
    line.join("student", Visitor("student's", "198.51.100.7"))
    student = threading.Thread(target=take, args=("student",))
    student.start()
    line.release("a0")
    wait_until(lambda: served, what="the next run taking the worker")
    assert served == ["student"]
    for ticket in ("student", "a1", "a2"):
        line.release(ticket)
        wait_until(lambda: len(served) == ["student", "a1", "a2", "a3"].index(ticket) + 2, what=f"the run after {ticket}")
    assert served == ["student", "a1", "a2", "a3"]
    line.release("a3")
    for thread in [*threads, student]:
        thread.join(5)


def test_a_workspace_has_at_most_its_share_of_runs_in_line_and_is_told_why():
    line = FairLine(limit=1, per_workspace=2)
    tabs = Visitor("one workspace", "192.0.2.1")  # two tabs of one workspace, or two sessions of it
    line.join("first", tabs)
    line.join("second", tabs)
    with pytest.raises(LineRefused, match="This workspace already has 2 runs training or waiting for a worker "
                                          r"\(in this tab or another one\).*Wait for one to end, or stop one"):
        line.join("third", tabs)
    line.join("other", Visitor("another workspace", "192.0.2.1"))  # the same address is not refused
    line.release("first")
    line.join("third", tabs)  # room again once one ended
    assert line.place("third") == 3


def test_runs_of_no_workspace_are_not_capped():
    line = FairLine(limit=1, per_workspace=1)
    for number in range(3):
        line.join(number, Visitor(None, ""))
    assert line.waiting == 3


def test_the_wait_a_newcomer_is_told_depends_on_its_address():
    line, never = FairLine(limit=2), threading.Event()
    for number in range(2):
        line.join(f"run{number}", attacker(number))
        assert line.acquire(f"run{number}", never.is_set)
    for number in range(2, 20):
        line.join(f"a{number}", attacker(number))
    left = {"run0": 100.0, "run1": 150.0}
    seconds_left = lambda ticket: left.get(ticket, 180.0)  # noqa: E731  each waiting run: 3 min
    other = line.wait_for(Visitor("student's", "198.51.100.7"), seconds_left)
    same = line.wait_for(Visitor("student's", "203.0.113.9"), seconds_left)
    assert other == 100.0  # the first worker to free up
    assert same > 18 * 180 / 2  # behind the attacker's 18 runs, two workers at a time
    assert line.waiting == 18  # asking joins nothing


@pytest.mark.parametrize("address, key", [
    (None, LOCAL), ("", LOCAL), ("198.51.100.7", "198.51.100.7"),
    ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"), ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
    ("::ffff:198.51.100.7", "198.51.100.7"),
])
def test_an_address_key_puts_a_whole_ipv6_network_under_one_turn(address, key):
    assert address_key(address) == key
