"""The line for the training workers, fair between visitors: no one visitor takes all training capacity.

A hostile visitor can open many sessions without a cookie (each a fresh workspace), and a school's students often
share one public address; so the turns go round-robin across client addresses (the address served longest ago
goes next; within one address, first come, first served: a class behind one address is plain first come, first
served), and a workspace (its tabs together) may have only a few runs in line or training. Pure Python, no
Streamlit: the run's thread waits here (training.run.PoolRun), the pages read places and waits.
"""
from __future__ import annotations

import heapq
import ipaddress
import itertools
import threading
from dataclasses import dataclass
from typing import Callable, Hashable

LOCAL = "this machine"  # the address of a page opened on the server itself (Streamlit gives none)


@dataclass(frozen=True)
class Visitor:
    """Who asks for a run: the workspace its runs are saved in (None: a session without saved work) and the
    address its turns are counted by (training.line.address_key). A `background` run (the server's own work, which
    no student waits for) gets a worker only when no other run waits for one."""
    workspace: str | None
    address: str
    background: bool = False


ANYONE = Visitor(None, "")  # runs of no visitor (the Notebook's, shared by every page that shows them)
BACKGROUND = Visitor(None, "the server", background=True)  # the server's own runs (training.reference)


def address_key(address: str | None) -> str:
    """The address a visitor's turns are counted by: an IPv4 address as it is, an IPv6 address's /64 network (one
    household or machine commonly holds a whole /64), LOCAL for none."""
    if not address or not isinstance(address, str):  # none known (a test harness may hand over a stand-in object)
        return LOCAL
    try:
        found = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()
    if isinstance(found, ipaddress.IPv6Address):
        if found.ipv4_mapped is not None:  # an IPv4 client of a server listening on IPv6
            return str(found.ipv4_mapped)
        return str(ipaddress.ip_network(f"{found}/64", strict=False))
    return str(found)


class LineRefused(ValueError):
    """A run the line will not take, in words for the one who asked."""


def workspace_full_words(cap: int) -> str:
    runs = "one run" if cap == 1 else f"{cap} runs"
    return (f"This workspace already has {runs} training or waiting for a worker (in this tab or another one): on "
            "this shared server that is the most one workspace may have. Wait for one to end, or stop one, then "
            "start this one.")


@dataclass
class _Ticket:
    visitor: Visitor
    number: int  # the order tickets joined in


class FairLine:
    """At most `limit` runs hold a worker at once; the others wait, their turns taken round-robin across
    addresses. A workspace may have at most `per_workspace` runs waiting or holding."""

    def __init__(self, limit: int, per_workspace: int = 2):
        self.limit = max(1, int(limit))
        self.per_workspace = max(1, int(per_workspace))
        self._cond = threading.Condition()
        self._numbers = itertools.count()
        self._turns = itertools.count(1)
        self._holders: dict[Hashable, _Ticket] = {}
        self._waiting: dict[Hashable, _Ticket] = {}
        self._served: dict[str, int] = {}  # address -> the turn it was last given a worker at

    # ----- joining, waiting, leaving -----
    def join(self, ticket: Hashable, visitor: Visitor = ANYONE) -> None:
        """Put `ticket` in line for `visitor`; LineRefused (in words) when its workspace has its share already."""
        with self._cond:
            if ticket in self._waiting or ticket in self._holders:
                return
            if visitor.workspace is not None:
                mine = sum(t.visitor.workspace == visitor.workspace
                           for t in itertools.chain(self._waiting.values(), self._holders.values()))
                if mine >= self.per_workspace:
                    raise LineRefused(workspace_full_words(self.per_workspace))
            self._waiting[ticket] = _Ticket(visitor, next(self._numbers))
            self._cond.notify_all()

    def acquire(self, ticket: Hashable, give_up: Callable[[], bool], poll: float = 0.2,
                visitor: Visitor = ANYONE) -> bool:
        """Wait for a worker (joining first if `ticket` has not); False, and out of the line, as soon as
        `give_up()` is true."""
        self.join(ticket, visitor)
        with self._cond:
            try:
                while not self._may_start(ticket):
                    if give_up():
                        return False
                    self._cond.wait(poll)
                taken = self._waiting.pop(ticket)
                self._holders[ticket] = taken
                self._served[taken.visitor.address] = next(self._turns)
                self._forget_old_addresses()
                return True
            finally:
                self._waiting.pop(ticket, None)
                self._cond.notify_all()

    def is_background(self, ticket: Hashable) -> bool:
        """Whether `ticket` is a background run's (the server's own), waiting or holding."""
        with self._cond:
            found = self._holders.get(ticket) or self._waiting.get(ticket)
            return found is not None and found.visitor.background

    def release(self, ticket: Hashable) -> None:
        with self._cond:
            self._holders.pop(ticket, None)
            self._waiting.pop(ticket, None)
            self._cond.notify_all()

    # ----- the order -----
    def _students(self) -> list[Hashable]:
        """Under the lock: the holders that count against `limit`: every run but the server's own."""
        return [key for key, t in self._holders.items() if not t.visitor.background]

    def _may_start(self, ticket: Hashable) -> bool:
        """Under the lock: whether `ticket` may take a worker now. A background run takes none of the `limit`
        (its worker is its own, at the lowest priority: training.workers), one such run at a time."""
        if self._waiting[ticket].visitor.background:
            return not any(t.visitor.background for t in self._holders.values())
        return len(self._students()) < self.limit and self._next() == ticket

    def _next(self) -> Hashable | None:
        """Under the lock: the waiting ticket served next."""
        order = self._order(limit=1)
        return order[0] if order else None

    def _order(self, extra: tuple[Hashable, Visitor] | None = None, limit: int | None = None) -> list[Hashable]:
        """Under the lock: the waiting tickets (and `extra`, a newcomer joining last) in the order they get a
        worker: the address served longest ago first (never served: first of all), ties by who came first. Background
        runs are not in it: they wait for nobody's worker and nobody waits for theirs."""
        queues: dict[str, list[tuple[int, Hashable]]] = {}
        tickets = [(t.number, key, t.visitor) for key, t in self._waiting.items()]
        if extra is not None:
            tickets.append((next(self._numbers), extra[0], extra[1]))
        tickets.sort(key=lambda t: t[0])
        for number, key, visitor in tickets:
            if not visitor.background:
                queues.setdefault(visitor.address, []).append((number, key))
        served, turn, order = dict(self._served), 0, []
        while queues and (limit is None or len(order) < limit):
            address = min(queues, key=lambda a: (served.get(a, -1), queues[a][0][0]))
            order.append(queues[address].pop(0)[1])
            if not queues[address]:
                del queues[address]
            turn += 1
            served[address] = max(self._served.values(), default=0) + turn
        return order

    def _forget_old_addresses(self, most: int = 10_000) -> None:
        """Under the lock: the turns of addresses with nothing in line, beyond `most`, oldest first (memory)."""
        if len(self._served) > most:
            active = {t.visitor.address for t in itertools.chain(self._waiting.values(), self._holders.values())}
            for address, _ in sorted(self._served.items(), key=lambda item: item[1])[:len(self._served) - most]:
                if address not in active:
                    del self._served[address]

    # ----- reading -----
    def place(self, ticket: Hashable) -> int:
        """1 for the next in line, 0 when not waiting."""
        with self._cond:
            if ticket not in self._waiting:
                return 0
            order = self._order()
            return order.index(ticket) + 1 if ticket in order else 1  # a background run is next for its own worker

    def wait(self, ticket: Hashable, seconds_left: Callable[[Hashable], float]) -> float:
        """Seconds until `ticket` gets a worker, if each holder and each ticket served before it takes
        `seconds_left(it)`: they take the workers in turn as they free up. 0 when not waiting."""
        with self._cond:
            if ticket not in self._waiting:
                return 0.0
            order = self._order()
            if ticket not in order:  # a background run: it waits only for the server's other one
                return 0.0
            ahead, holders = order[:order.index(ticket)], self._students()
        return self._free_at(holders, ahead, seconds_left)

    def wait_for(self, visitor: Visitor, seconds_left: Callable[[Hashable], float]) -> float:
        """Seconds a run `visitor` started now would wait for a worker (its place decided as `join` would)."""
        newcomer = object()
        with self._cond:
            order = self._order(extra=(newcomer, visitor))
            if newcomer not in order:
                return 0.0
            ahead, holders = order[:order.index(newcomer)], self._students()
        return self._free_at(holders, ahead, seconds_left)

    def _free_at(self, holders: list, ahead: list, seconds_left: Callable[[Hashable], float]) -> float:
        free = sorted([seconds_left(h) for h in holders] + [0.0] * max(0, self.limit - len(holders)))
        for other in ahead:
            heapq.heapreplace(free, free[0] + seconds_left(other))
        return free[0]

    @property
    def running(self) -> int:
        """The students' runs holding a worker (the server's own, on its spare worker, not counted)."""
        with self._cond:
            return len(self._students())

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)
