"""Which workspace a new tab opens, from its address and the browser's cookie (ui.saving.workspace.choose), without a
browser: the address wins, then the cookie; a cookie that is malformed, unknown or deleted is passed over in silence
and never reaches the store unless it has a workspace id's form."""
from __future__ import annotations

import pytest

from store import new_workspace_id
from ui.saving.workspace import Arrival, choose

KNOWN, OTHER, GONE = new_workspace_id(), new_workspace_id(), new_workspace_id()


class Stored:
    """The store's answer to "is this workspace there?", recording every id it was asked about."""

    def __init__(self, *ids: str):
        self.ids, self.asked = set(ids), []

    def __call__(self, workspace: str) -> bool:
        self.asked.append(workspace)
        return workspace in self.ids


def test_the_address_wins_over_what_the_browser_remembers():
    assert choose(KNOWN, OTHER, Stored(KNOWN, OTHER)) == Arrival(KNOWN, "address", missing=False)


def test_a_plain_address_opens_the_workspace_the_browser_remembers():
    assert choose(None, KNOWN, Stored(KNOWN)) == Arrival(KNOWN, "browser", missing=False)


def test_an_address_naming_a_missing_workspace_falls_back_to_the_browsers_and_says_so():
    assert choose(GONE, KNOWN, Stored(KNOWN)) == Arrival(KNOWN, "browser", missing=True)


def test_nothing_anywhere_makes_a_new_workspace():
    assert choose(None, None, Stored(KNOWN)) == Arrival(None, "", missing=False)


def test_a_remembered_workspace_that_was_deleted_is_passed_over_in_silence():
    assert choose(None, GONE, Stored(KNOWN)) == Arrival(None, "", missing=False)


def test_a_missing_address_and_a_deleted_cookie_make_a_new_workspace_and_say_the_address_was_wrong():
    assert choose(GONE, GONE, Stored(KNOWN)) == Arrival(None, "", missing=True)


@pytest.mark.parametrize("cookie", ["", "A" * 23, "x" * 10_000, "<script>alert(1)</script>", "'; DROP TABLE runs; --",
                                    KNOWN + "=", f"{KNOWN}; Path=/", KNOWN[:-1] + "\u00e9", 12345, b"bytes"],
                         ids=["empty", "short", "10000-chars", "script", "sql", "trailing", "attributes", "accent",
                              "number", "bytes"])
def test_a_malformed_cookie_is_ignored_without_asking_the_store(cookie):
    stored = Stored(KNOWN)
    assert choose(None, cookie, stored) == Arrival(None, "", missing=False)
    assert stored.asked == []
