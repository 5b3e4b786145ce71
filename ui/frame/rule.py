"""The teacher's rule as this session meets it: read from the store on each visit, so a change reaches the students
at once. What the rule is, and what it blocks, is ui.shared.rule's."""
from __future__ import annotations

import logging

from training.logs import short
from ui import state
from ui.saving import classes
from ui.saving.classes import StoreError
from ui.shared.rule import Rule

log = logging.getLogger(__name__)


def current_rule() -> Rule:
    """The rule of the student's class now; an open rule outside a class. Out of the store's reach: what the class
    said last."""
    member, workspace = state.membership(), state.workspace()
    if member is None or workspace is None:
        return Rule()
    try:
        member = classes.membership(workspace)
    except StoreError as error:
        log.warning("class of workspace %s not read: %s", short(workspace), error)
    return Rule() if member is None else Rule.of(member.room.allowed)
