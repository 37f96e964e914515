"""Tests of checks.check_dqn_update (exercise 4.2): correct update steps pass, mistakes are named.

The functions below call `dqn_targets` and `q_loss` as module globals, exactly as a student's
`dqn_update` calls the notebook's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import checks
from course_utils.checks import ExerciseFailure


def dqn_targets(reward_b, terminated_b, next_state_b, target_q_network, gamma):
    with torch.no_grad():
        next_q_b = target_q_network(next_state_b).max(dim=1, keepdim=True).values
        return reward_b + gamma * ~terminated_b * next_q_b


def q_loss(q_network, state_b, action_b, target_b):
    return F.mse_loss(q_network(state_b).gather(1, action_b), target_b)


# --------------------------------------------------------------------------- correct


def update_reference(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    state_b, action_b, reward_b, terminated_b, next_state_b = batch
    target_b = dqn_targets(reward_b, terminated_b, next_state_b, target_q_network, gamma)
    loss = q_loss(q_network, state_b, action_b, target_b)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(q_network.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()


def update_inline(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    """Attribute access, inline detached target, module.zero_grad, float()."""
    q_b = q_network(batch.state).gather(1, batch.action)
    next_q_b = target_q_network(batch.next_state).max(dim=1, keepdim=True).values.detach()
    target_b = batch.reward + gamma * (1 - batch.terminated.float()) * next_q_b
    loss = ((q_b - target_b) ** 2).mean()
    q_network.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(q_network.parameters(), max_norm=max_grad_norm)
    optimizer.step()
    return float(loss)


def update_value_first(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    """Reads the value before stepping; zero_grad keeps zero tensors; torch.where mask."""
    state_b, action_b, reward_b, terminated_b, next_state_b = batch
    with torch.no_grad():
        best_b = target_q_network(next_state_b).max(dim=1, keepdim=True).values
        target_b = torch.where(terminated_b, reward_b, reward_b + gamma * best_b)
    optimizer.zero_grad(set_to_none=False)
    loss = F.mse_loss(q_network(state_b).gather(1, action_b), target_b)
    value = loss.item()
    loss.backward()
    nn.utils.clip_grad_norm_(list(q_network.parameters()), max_grad_norm)
    optimizer.step()
    return value


def update_zero_grad_last(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    """zero_grad after the step: every call starts with empty gradients (None at the first)."""
    loss = q_loss(
        q_network, batch.state, batch.action, dqn_targets(*batch[2:], target_q_network, gamma)
    )
    loss.backward()
    nn.utils.clip_grad_norm_(q_network.parameters(), max_grad_norm)
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()


CORRECT = [update_reference, update_inline, update_value_first, update_zero_grad_last]


# --------------------------------------------------------------------------- buggy


def _parts(q_network, target_q_network, batch, gamma):
    state_b, action_b, reward_b, terminated_b, next_state_b = batch
    target_b = dqn_targets(reward_b, terminated_b, next_state_b, target_q_network, gamma)
    return q_loss(q_network, state_b, action_b, target_b)


def no_zero_grad(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    loss = _parts(q_network, target_q_network, batch, gamma)
    loss.backward()
    nn.utils.clip_grad_norm_(q_network.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()


def clip_after_step(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    loss = _parts(q_network, target_q_network, batch, gamma)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    nn.utils.clip_grad_norm_(q_network.parameters(), max_grad_norm)
    return loss.item()


def no_clip(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    loss = _parts(q_network, target_q_network, batch, gamma)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def returns_tensor(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    loss = _parts(q_network, target_q_network, batch, gamma)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(q_network.parameters(), max_grad_norm)
    optimizer.step()
    return loss


def returns_nothing(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    update_reference(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm)


def post_step_loss(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    update_reference(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm)
    return _parts(q_network, target_q_network, batch, gamma).item()


def target_with_grad(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    state_b, action_b, reward_b, terminated_b, next_state_b = batch
    next_q_b = target_q_network(next_state_b).max(dim=1, keepdim=True).values
    loss = q_loss(q_network, state_b, action_b, reward_b + gamma * ~terminated_b * next_q_b)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(q_network.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()


def _with_target(make_target: Callable[..., Any]) -> Callable[..., Any]:
    def update(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
        state_b, action_b, reward_b, terminated_b, next_state_b = batch
        target_b = make_target(
            q_network, target_q_network, reward_b, terminated_b, next_state_b, gamma
        )
        loss = q_loss(q_network, state_b, action_b, target_b)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(q_network.parameters(), max_grad_norm)
        optimizer.step()
        return loss.item()

    return update


def _max(network, next_state_b):
    return network(next_state_b).max(dim=1, keepdim=True).values


no_mask = _with_target(lambda q, t, r, term, s, g: r + g * _max(t, s).detach())
inverted_mask = _with_target(lambda q, t, r, term, s, g: r + g * term * _max(t, s).detach())
online_target = _with_target(lambda q, t, r, term, s, g: r + g * ~term * _max(q, s).detach())
residual_gradient = _with_target(lambda q, t, r, term, s, g: r + g * ~term * _max(q, s))


def zero_grad_after_backward(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    loss = _parts(q_network, target_q_network, batch, gamma)
    loss.backward()
    optimizer.zero_grad()
    nn.utils.clip_grad_norm_(q_network.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()


def two_steps(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    loss = _parts(q_network, target_q_network, batch, gamma)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(q_network.parameters(), max_grad_norm)
    optimizer.step()
    optimizer.step()
    return loss.item()


def no_step(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    loss = _parts(q_network, target_q_network, batch, gamma)
    optimizer.zero_grad()
    loss.backward()
    return loss.item()


def syncs_inside(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    value = update_reference(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm)
    target_q_network.load_state_dict(q_network.state_dict())
    return value


def modifies_batch(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    value = update_reference(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm)
    batch.reward.mul_(2)
    return value


def backward_twice(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    loss = _parts(q_network, target_q_network, batch, gamma)
    optimizer.zero_grad()
    loss.backward(retain_graph=True)
    loss.backward()
    nn.utils.clip_grad_norm_(q_network.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()


def clip_by_value(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    loss = _parts(q_network, target_q_network, batch, gamma)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_value_(q_network.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()


def clip_before_backward(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    loss = _parts(q_network, target_q_network, batch, gamma)
    optimizer.zero_grad()
    nn.utils.clip_grad_norm_(q_network.parameters(), max_grad_norm)
    loss.backward()
    optimizer.step()
    return loss.item()


def clip_target_network(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    loss = _parts(q_network, target_q_network, batch, gamma)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(target_q_network.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()


def clip_hard_coded(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    loss = _parts(q_network, target_q_network, batch, gamma)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(q_network.parameters(), 10.0)
    optimizer.step()
    return loss.item()


def unpacks_out_of_order(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    state_b, reward_b, action_b, terminated_b, next_state_b = batch  # reward and action swapped
    target_b = dqn_targets(reward_b, terminated_b, next_state_b, target_q_network, gamma)
    loss = q_loss(q_network, state_b, action_b, target_b)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(q_network.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()


BUGGY = [
    (unpacks_out_of_order, "unpacked in another order"),
    (backward_twice, "the gradient was computed 2 times and added up"),
    (clip_by_value, "`clip_grad_value_` clamps every gradient element"),
    (clip_before_backward, "clipped before backward() computed it"),
    (clip_target_network, "was given the parameters of another network"),
    (clip_hard_coded, "a number written into the function"),
    (no_zero_grad, "not zeroed before backward()"),
    (clip_after_step, "clipped after optimizer.step()"),
    (no_clip, "the gradient was not clipped"),
    (returns_tensor, "the loss tensor itself came back"),
    (returns_nothing, "a missing `return`"),
    (post_step_loss, "computed again after optimizer.step()"),
    (target_with_grad, "ran through target_q_network"),
    (no_mask, "terminal transitions still bootstrap"),
    (inverted_mask, "the mask is inverted"),
    (online_target, "with q_network instead of target_q_network"),
    (residual_gradient, "the residual gradient"),
    (zero_grad_after_backward, "the parameters did not move"),
    (two_steps, "called more than once"),
    (no_step, "never called"),
    (syncs_inside, "changed θ_targ"),
    (modifies_batch, "modified in place"),
]


@pytest.mark.parametrize("function", CORRECT, ids=lambda f: f.__name__)
def test_correct_update_passes(
    function: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    checks.check_dqn_update(function)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("✅ dqn_update: all ")


@pytest.mark.parametrize(("function", "phrase"), BUGGY, ids=[f.__name__ for f, _ in BUGGY])
def test_buggy_update_is_named(function: Callable[..., Any], phrase: str) -> None:
    with pytest.raises(ExerciseFailure) as failure:
        checks.check_dqn_update(function)
    message = str(failure.value)
    assert phrase in message
    for part in ("❌ dqn_update:", "expected:", "got:", "likely cause:", "hint:"):
        assert part in message


def test_stub_is_not_implemented_yet() -> None:
    def stub(*args: Any) -> Any:
        raise NotImplementedError("Exercise 4.2: write this")

    with pytest.raises(ExerciseFailure, match="not implemented yet"):
        checks.check_dqn_update(stub)


def test_rng_and_grad_mode_are_left_as_they_were(capsys: pytest.CaptureFixture[str]) -> None:
    torch.manual_seed(5)
    state = torch.get_rng_state()
    with torch.no_grad():
        checks.check_dqn_update(update_reference)
    assert torch.equal(torch.get_rng_state(), state)
    assert "✅" in capsys.readouterr().out


def _stub_targets(*args: Any) -> Any:
    raise NotImplementedError("Exercise 4.1: write this")


def test_the_update_is_graded_with_the_reference_targets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One bug, one exercise: a right update passes although the notebook's dqn_targets (4.1)
    is still a stub."""
    namespace = {**update_reference.__globals__, "dqn_targets": _stub_targets}
    update = type(update_reference)(update_reference.__code__, namespace, "dqn_update")
    checks.check_dqn_update(update)
    assert capsys.readouterr().out.startswith("✅ dqn_update: all ")


def test_a_stub_it_depends_on_is_named_in_the_heading() -> None:
    """A stub of an earlier exercise that the check cannot replace (another name) is named."""

    def my_targets(*args: Any) -> Any:
        raise NotImplementedError("Exercise 4.1: return the DQN targets")

    def update(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
        my_targets(batch.reward, batch.terminated, batch.next_state, target_q_network, gamma)

    with pytest.raises(ExerciseFailure) as failure:
        checks.check_dqn_update(update)
    heading = str(failure.value).strip().splitlines()[0]
    assert heading.startswith("❌ dqn_update (needs Exercise 4.1 first):"), heading


def test_the_evidence_compares_directions() -> None:
    """Three mistakes with clipped steps of the same length differ in their angles."""
    angles = set()
    for function in (no_zero_grad, online_target, no_mask):
        with pytest.raises(ExerciseFailure) as failure:
            checks.check_dqn_update(function)
        got = next(line for line in str(failure.value).splitlines() if "got:" in line)
        assert "° away from that direction" in got, got
        angles.add(got.split(",")[-1])
    assert len(angles) == 3, angles
