"""What the Draw page says of a network too weak for its "not a digit" check (pure: no Streamlit)."""
from ui.draw.data import DOUBT_MIN_ACCURACY, doubt_trusted, weak_words


def test_a_network_too_weak_for_its_doubt_is_told_so_and_a_strong_one_is_not():
    """bench/doubt.py: the 9% run and the 90% momentum run both let 27% of letters through without a doubt, as an
    untrained network does; SGD at 0.1 (95.7%) 21% (and a three-stroke A 97% of the time), the modern preset 4%."""
    assert not doubt_trusted(0.082) and not doubt_trusted(0.908) and not doubt_trusted(0.957)
    assert not doubt_trusted(None) and doubt_trusted(0.977) and doubt_trusted(DOUBT_MIN_ACCURACY)
    words = weak_words(0.082)
    assert words.startswith("This network reads only 8% of the test digits right") and "letter" in words
    assert "never scored" in weak_words(None)
    assert weak_words(0.986) == ""
