"""The schedule half of the ``dqn_episode`` check (:mod:`course_utils.checks.training_loop`).

From the spies' records (:class:`~course_utils.checks._spies._Run`): learning starts after
the warm-up and happens exactly every ``train_every`` environment steps, each from a
sampled batch of ``batch_size``; the target network is synchronised exactly every
``sync_every`` environment steps. Phases are free.
"""

from __future__ import annotations

from course_utils.checks._i18n import _
from course_utils.checks._spies import BATCH_SIZE, SYNC_EVERY, TRAIN_EVERY, WARMUP_STEPS, _Run
from course_utils.checks.harness import Check

__all__ = ["_expect_learning", "_expect_syncs"]


def _expect_learning(chk: Check, run: _Run) -> None:
    """Updates only after the warm-up, exactly every TRAIN_EVERY steps, each on a sample."""
    updates = run.updates
    if not updates:
        raise chk.fail(
            _("learns after the warm-up"),
            expected=_(
                "an optimizer step every {train_every} environment steps from step {warmup_steps}"
            ).format(train_every=TRAIN_EVERY, warmup_steps=WARMUP_STEPS),
            got=_("no optimizer step at all"),
            cause=_("`dqn_update` is never called (or the warm-up condition is never true)."),
            hint=_(
                "update when the warm-up is over and the global step is a multiple of train_every."
            ),
        )
    if updates[0] < WARMUP_STEPS:
        cause = (
            _(
                "learning starts as soon as one batch can be sampled: `can_sample(batch_size)` "
                "is not the warm-up."
            )
            if updates[0] <= BATCH_SIZE + TRAIN_EVERY
            else _("learning starts before the warm-up is over.")
        )
        raise chk.fail(
            _("learns only after the warm-up"),
            expected=_(
                "no update before {warmup_steps} transitions are stored (warmup_steps)"
            ).format(warmup_steps=WARMUP_STEPS),
            got=_("the first update after {value} steps").format(value=updates[0]),
            cause=cause,
            hint=_("the warm-up is a number of steps, `warmup_steps`, not the batch size."),
        )
    gaps = sorted({b - a for a, b in zip(updates, updates[1:], strict=False)})
    if gaps != [TRAIN_EVERY] and len(updates) > 1:
        if gaps == [0] or gaps == [1] or 0 in gaps:
            cause = _(
                "updates at every environment step (or several per step): `train_every` is ignored."
            )
        else:
            cause = _(
                "the spacing of the updates is irregular: counted with the step *within the "
                "episode*, which restarts at every reset, rather than the global step."
            )
        raise chk.fail(
            _("learns exactly every train_every environment steps"),
            expected=_("one update every {train_every} environment steps").format(
                train_every=TRAIN_EVERY
            ),
            got=_("gaps of {gaps} steps between updates").format(gaps=gaps),
            cause=cause,
            hint=_("count with the global step, which does not restart with the episode."),
        )
    if updates[0] > WARMUP_STEPS + TRAIN_EVERY or updates[-1] < run.steps - TRAIN_EVERY - 1:
        raise chk.fail(
            _("learns exactly every train_every environment steps"),
            expected=_(
                "updates from step {warmup_steps} to the end, every {train_every} steps"
            ).format(warmup_steps=WARMUP_STEPS, train_every=TRAIN_EVERY),
            got=_("updates from step {value} to {value2}").format(
                value=updates[0], value2=updates[-1]
            ),
            cause=_("learning starts late or stops early."),
            hint=_("every train_every global steps once the warm-up is over, until the run ends."),
        )
    sampled = {at for at, _ in run.samples}
    sizes = {size for _, size in run.samples}
    if len(run.samples) != len(updates) or set(updates) - sampled or sizes != {BATCH_SIZE}:
        raise chk.fail(
            _("each update learns from a batch sampled from the memory"),
            expected=_("one memory.sample({batch_size}) per update ({n_updates})").format(
                batch_size=BATCH_SIZE, n_updates=len(updates)
            ),
            got=_("{n_samples} samples, batch sizes {value}").format(
                n_samples=len(run.samples), value=sorted(sizes)
            ),
            cause=_("the update is not given `memory.sample(batch_size)`."),
            hint=_(
                "each update gets a fresh batch of `batch_size` sampled from the replay memory."
            ),
        )
    chk.holds(_("learns after the warm-up"))
    chk.holds(_("learns only after the warm-up"))
    chk.holds(_("learns exactly every train_every environment steps"))
    chk.holds(_("each update learns from a batch sampled from the memory"))


def _expect_syncs(chk: Check, run: _Run) -> None:
    """A synchronisation exactly every SYNC_EVERY environment steps."""
    syncs = run.syncs
    expected = _("θ_targ ← θ every {sync_every} environment steps").format(sync_every=SYNC_EVERY)
    if not syncs:
        raise chk.fail(
            _("synchronises every sync_every environment steps"),
            expected=expected,
            got=_("no synchronisation at all"),
            cause=_(
                "the target network passed in never became a copy of the online one: "
                "`update_target_network` is never called, or a new target network was made "
                "(`target_q_network = make_target_network(q_network)` rebinds a local name; the "
                "caller's target network stays as it was)."
            )
            + " "
            + _(
                "Or the synchronisation counts steps within the episode: the check's episodes "
                "are all shorter than sync_every = {sync_every} steps, so a count that restarts "
                "with every episode never reaches it."
            ).format(sync_every=SYNC_EVERY),
            hint=_(
                "synchronise (exercise 3.3) whenever the global step is a multiple of sync_every."
            ),
        )
    gaps = sorted({b - a for a, b in zip(syncs, syncs[1:], strict=False)})
    if gaps != [SYNC_EVERY] or syncs[0] > SYNC_EVERY or syncs[-1] < run.steps - SYNC_EVERY:
        if set(syncs) <= set(run.episode_ends):
            cause = _(
                "synchronised at the end of episodes: the slides' 'every k episodes' clock "
                "speeds up and slows down with the episodes' lengths. This course counts "
                "environment steps."
            )
        elif gaps == [SYNC_EVERY * TRAIN_EVERY]:
            cause = _(
                "synchronised every sync_every *updates*, not every sync_every environment steps."
            )
        elif gaps == [TRAIN_EVERY] and set(syncs) <= set(run.updates):
            cause = _(
                "synchronised after every update (every train_every steps), not every "
                "sync_every environment steps: the target network then follows the online one "
                "almost at once."
            )
        elif 1 in gaps:
            cause = _(
                "synchronised at (almost) every step: the target network would exist in name only."
            )
        else:
            cause = _(
                "the synchronisations are irregular: counted with the step *within the episode* "
                "rather than the global step?"
            )
        raise chk.fail(
            _("synchronises every sync_every environment steps"),
            expected=expected,
            got=_("synchronisations after steps {value}{value2}").format(
                value=syncs[:6], value2=" ..." if len(syncs) > 6 else ""
            ),
            cause=cause,
            hint=_(
                "count with the global step, inside the step loop, not per episode or per update."
            ),
        )
    chk.holds(_("synchronises every sync_every environment steps"))
