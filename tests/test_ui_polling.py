"""How often a live part of a page redraws: at its own pace on a quiet server, slower as a class trains."""
import pytest

from ui.frame.layout import SLOWEST_POLL, poll_seconds


@pytest.mark.parametrize("base, active, seconds", [
    (0.5, 0, 0.5), (0.5, 1, 0.5), (0.5, 10, 0.5),  # a few runs: the page's own pace
    (0.5, 20, 1.0), (0.5, 30, 1.5),  # a class: the polls of all pages together stay about the same
    (0.5, 60, SLOWEST_POLL), (0.5, 500, SLOWEST_POLL),  # never slower than a page that still looks live
    (1.0, 13, 1.5),  # in half seconds
    (3.0, 0, 3.0), (3.0, 500, 3.0),  # a part slower than the cap keeps its own pace
])
def test_polling_slows_with_the_servers_load_within_bounds(base, active, seconds):
    assert poll_seconds(base, active) == seconds
