"""A class board's entry in one line, as the Class page's hiding list and the Board's overlay picker both name it."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: posts are read through ui.saving.classes
    from store import Post


def post_label(post: Post) -> str:
    accuracy = f" · {post.run.test_accuracy:.1%}" if post.run.test_accuracy is not None else ""
    return f"{post.nickname}: {post.run.name}{accuracy}"
