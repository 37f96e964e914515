"""The Korean catalogue of the check messages: English template -> Korean template.

One entry per template that ``course_utils/checks`` wraps in ``_`` or ``N_``, one file per
check module (``_ko/<module>.py``, the shared machinery in ``_ko/harness.py``), merged here
into :data:`KO`. ``tests/runtime/test_checks_korean.py`` fails when a template has no entry,
when an entry matches no template any more, when two files translate the same template, or
when an entry changes a placeholder or the code between backticks. Terms as in
README.ko.md's glossary.
"""

from __future__ import annotations

from course_utils.checks._ko import (
    beyond,
    harness,
    loss,
    neural_networks,
    policies,
    pytorch_idioms,
    replay_memory,
    target_networks,
    targets,
    training_loop,
    update_step,
)

__all__ = ["KO", "PARTS"]

PARTS: tuple[dict[str, str], ...] = (
    harness.KO,
    beyond.KO,
    loss.KO,
    neural_networks.KO,
    policies.KO,
    pytorch_idioms.KO,
    replay_memory.KO,
    target_networks.KO,
    targets.KO,
    training_loop.KO,
    update_step.KO,
)
KO: dict[str, str] = {key: value for part in PARTS for key, value in part.items()}
