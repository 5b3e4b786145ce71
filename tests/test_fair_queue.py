"""One visitor against the class, against a real `streamlit run app.py`: twenty sessions from one address, each a
fresh workspace (no cookie), each press Start, as a hostile script would over Streamlit's websocket. A 21st student
on another address is next in line and gets the next worker; one on the attacker's address waits its turn behind
them (a class behind one address is first come, first served). The clients connect from other loopback addresses
(127.0.0.2, 127.0.0.3): the server sees them as other machines. The attacker also forges an X-Forwarded-For header
per session, which the server believes only from a proxy on 127.0.0.1 (docs/classroom.md)."""
from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.append(str(BENCH))  # after the project: bench/store.py must not shadow the store package

from classroom_server import AppServer  # noqa: E402
from streamlit_client import StreamlitClient  # noqa: E402

pytestmark = pytest.mark.server  # every test here starts the app as a process

ATTACKER, STUDENT = "127.0.0.2", "127.0.0.3"
ATTACK = "epochs=10"  # 10-20 s each on a quiet machine: the line, not the runs, is under test
GOT_A_WORKER = re.compile(r"run '.*' of (\S+) \(workspace .*\) got a worker after")
IN_LINE = re.compile(r"### Waiting for a free slot: (\d+)\w\w in line")


def status(client: StreamlitClient) -> str:
    return next((t for t in reversed(client.texts()) if t.startswith("### ")), "")


async def press_start(url: str, name: str, address: str, query: str, headers: dict | None = None) -> StreamlitClient:
    client = StreamlitClient(url, name, address, headers)
    await client.open("Train", query=query)
    await client.click("Start training")
    await client.wait_for(lambda: status(client).startswith(("### Waiting", "### Starting", "### Training")), 120,
                          "the run in line or training")
    return client


def served(log: Path) -> list[str]:
    """The addresses of the runs that got a worker, in order, as the server's log says."""
    return [found[1] for found in map(GOT_A_WORKER.search, log.read_text().splitlines()) if found]


async def attack_then_students(url: str, log: Path) -> dict:
    attackers = await asyncio.gather(*(press_start(url, f"attacker session {i + 1}", ATTACKER, ATTACK,
                                                   {"X-Forwarded-For": f"198.51.100.{i}"})  # forged: not believed
                                       for i in range(20)))
    places = sorted(int(found[1]) for c in attackers if (found := IN_LINE.match(status(c))))
    student = await press_start(url, "21st student", STUDENT, "epochs=1")
    told = {"attackers in line": places, "student": status(student), "served when it joined": len(served(log))}
    same = await press_start(url, "a student on the attacker's address", ATTACKER, "epochs=1")
    told["same address"] = status(same)
    await student.wait_for(lambda: status(student).startswith(("### Training", "### Finished")), 600,
                           "the student's run training")
    told["served"] = served(log)
    await asyncio.gather(*(c.close() for c in [*attackers, student, same]))
    return told


def test_twenty_sessions_of_one_visitor_do_not_keep_a_student_on_another_address_waiting(mnist_dir, tmp_path):
    log = tmp_path / "streamlit.log"
    server = AppServer(log, {"MLP_DATA_DIR": str(mnist_dir), "MLP_TRAINING_WORKERS": "1"})
    try:
        told = asyncio.run(attack_then_students(server.url, log))
    finally:
        server.stop()
    assert len(told["attackers in line"]) >= 17  # one trains (two or three, one after another, on a slow machine)
    assert IN_LINE.match(told["student"])[1] == "1", told["student"]  # next, whatever the attacker queued
    student_turn = told["served"].index(STUDENT)
    assert set(told["served"][:student_turn]) == {ATTACKER}, told["served"]
    assert student_turn <= told["served when it joined"], told  # no attacker's run went before it once it was in line
    place_of_same = int(IN_LINE.match(told["same address"])[1])
    assert place_of_same >= len(told["attackers in line"]) - 2  # behind the attacker's runs: first come, first served
