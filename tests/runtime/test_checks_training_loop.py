"""Tests of checks.check_dqn_episode (exercise 4.3): correct loops pass, broken ones are named.

The loops below call `epsilon_greedy_policy`, `dqn_update` and `update_target_network` as
module globals, exactly as a student's `dqn_episode` calls the notebook's. Each buggy loop
is the reference with one classic mistake, and must be rejected with the property it breaks.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F

from course_utils import checks
from course_utils.checks import ExerciseFailure
from tests.runtime.test_checks_update_step import update_reference as dqn_update

num_actions = 2  # a notebook global that is not the check environment's


def greedy_policy(q_network, state):
    with torch.no_grad():
        return q_network(state).argmax(dim=-1, keepdim=True)


def epsilon_greedy_policy(q_network, state, epsilon, num_actions):
    if torch.rand(1).item() < epsilon:
        return torch.randint(num_actions, (1, 1))
    return greedy_policy(q_network, state)


def update_target_network(target_q_network, q_network):
    target_q_network.load_state_dict(q_network.state_dict())


def dqn_update_tensor(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm):
    state_b, action_b, reward_b, terminated_b, next_state_b = batch
    with torch.no_grad():
        next_q_b = target_q_network(next_state_b).max(dim=1, keepdim=True).values
    loss = F.mse_loss(
        q_network(state_b).gather(1, action_b), reward_b + gamma * ~terminated_b * next_q_b
    )
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss


# --------------------------------------------------------------------------- a configurable loop


def make_loop(**bug: Any) -> Callable[..., Any]:
    """The reference loop; each keyword switches on one mistake."""

    def dqn_episode(
        env, q_network, target_q_network, memory, optimizer, *, step, epsilon_at,
        batch_size, gamma, warmup_steps, train_every, sync_every, max_grad_norm, max_steps,
    ):  # fmt: skip
        state, _ = env.reset()
        episode_return, losses, done = 0.0, [], False
        t = 0  # the step within the episode (only the bugs use it)
        while not done and step < max_steps:
            epsilon = epsilon_at(t if bug.get("episode_epsilon") else step)
            if bug.get("greedy_only"):
                action = greedy_policy(q_network, state)
            else:
                n = num_actions if bug.get("global_num_actions") else env.action_space.n
                action = epsilon_greedy_policy(q_network, state, epsilon, n)
            next_state, reward, terminated, truncated, _ = env.step(
                action.item() if bug.get("int_action") else action
            )
            done = terminated.item() or truncated.item()
            if bug.get("terminated_only"):
                done = terminated.item()
            stored = torch.tensor([[done]]) if bug.get("store_done") else terminated
            if bug.get("store_truncated"):
                stored = truncated
            memory.insert([state, action, reward, stored, next_state])
            if not bug.get("stale_state"):
                state = next_state
            if not bug.get("no_step_increment"):
                step += 1
            t += 1
            episode_return = episode_return + (
                reward if bug.get("tensor_return") else reward.item()
            )
            if bug.get("early_learning"):
                learn = memory.can_sample(batch_size) and step % train_every == 0
            elif bug.get("every_step"):
                learn = step >= warmup_steps
            else:
                learn = step >= warmup_steps and step % train_every == 0
            if learn and bug.get("double_update"):  # a second update, its loss not kept
                dqn_update(
                    q_network,
                    target_q_network,
                    optimizer,
                    memory.sample(batch_size),
                    gamma,
                    max_grad_norm,
                )
            if learn:
                update = dqn_update_tensor if bug.get("tensor_losses") else dqn_update
                losses.append(
                    update(
                        q_network,
                        target_q_network,
                        optimizer,
                        memory.sample(batch_size),
                        gamma,
                        max_grad_norm,
                    )
                )
            if bug.get("sync_per_episode"):
                if done:
                    update_target_network(target_q_network, q_network)
            elif bug.get("sync_per_update"):
                if learn:
                    bug["updates"] = bug.get("updates", 0) + 1  # counted over the whole run
                    if bug["updates"] % sync_every == 0:
                        update_target_network(target_q_network, q_network)
            elif bug.get("sync_episode_count"):
                if t % sync_every == 0:
                    update_target_network(target_q_network, q_network)
            elif bug.get("sync_every_update"):
                if learn:
                    update_target_network(target_q_network, q_network)
            elif bug.get("rebinds_target"):
                if step % sync_every == 0:
                    target_q_network = copy.deepcopy(q_network).requires_grad_(False)
            elif bug.get("swapped_sync"):
                if step % sync_every == 0:
                    update_target_network(q_network, target_q_network)
            elif step % sync_every == 0:
                update_target_network(target_q_network, q_network)
        return episode_return, losses, step, done

    return dqn_episode


# --------------------------------------------------------------------------- correct loops


def loop_top_of_iteration(
    env, q_network, target_q_network, memory, optimizer, *, step, epsilon_at,
    batch_size, gamma, warmup_steps, train_every, sync_every, max_grad_norm, max_steps,
):  # fmt: skip
    """Learns and synchronises at the top of the iteration, with the count before the step."""
    state, _ = env.reset()
    episode_return, losses, done = 0.0, [], False
    while not done and step < max_steps:
        if step % sync_every == 0:
            update_target_network(target_q_network, q_network)
        if len(memory) >= warmup_steps and step % train_every == 0:
            batch = memory.sample(batch_size)
            losses.append(
                dqn_update(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm)
            )
        action = epsilon_greedy_policy(q_network, state, epsilon_at(step), env.action_space.n)
        next_state, reward, terminated, truncated, _ = env.step(action)
        memory.insert([state, action, reward, terminated, next_state])
        episode_return += float(reward)
        state, step = next_state, step + 1
        done = bool(terminated or truncated)
    return episode_return, losses, step, done


def loop_own_randomness(
    env, q_network, target_q_network, memory, optimizer, *, step, epsilon_at,
    batch_size, gamma, warmup_steps, train_every, sync_every, max_grad_norm, max_steps,
):  # fmt: skip
    """Its own ε-greedy with Python's random, a strict warm-up test, sync before learning."""
    state, _ = env.reset()
    episode_return, losses, done = 0.0, [], False
    while not done and step < max_steps:
        if random.random() < epsilon_at(step):
            action = torch.tensor([[random.randrange(env.action_space.n)]])
        else:
            with torch.no_grad():
                action = q_network(state).argmax(dim=1, keepdim=True)
        next_state, reward, terminated, truncated, info = env.step(action)
        memory.insert([state, action, reward, terminated, next_state])
        step += 1
        if step % sync_every == 0:
            update_target_network(target_q_network, q_network)
        if step > warmup_steps and (step - warmup_steps) % train_every == 0:
            losses.append(
                dqn_update(
                    q_network,
                    target_q_network,
                    optimizer,
                    memory.sample(batch_size),
                    gamma,
                    max_grad_norm,
                )
            )
        episode_return += reward.item()
        state = next_state
        done = terminated.item() or truncated.item()
    return episode_return, losses, step, done


def with_globals(function: Callable[..., Any], **names: Any) -> Callable[..., Any]:
    """The same function, reading `names` as module globals (as a notebook's globals)."""
    namespace = {**function.__globals__, **names}
    return type(function)(
        function.__code__, namespace, function.__name__, function.__defaults__, function.__closure__
    )


def loop_reading_globals(
    env, q_network, target_q_network, memory, optimizer, *, step, epsilon_at,
    batch_size, gamma, warmup_steps, train_every, sync_every, max_grad_norm, max_steps,
):  # fmt: skip
    """The reference loop, with the notebook's GAMMA, MAX_GRAD_NORM for dqn_update."""
    state, _ = env.reset()
    episode_return, losses, done = 0.0, [], False
    while not done and step < max_steps:
        action = epsilon_greedy_policy(q_network, state, epsilon_at(step), env.action_space.n)
        next_state, reward, terminated, truncated, _ = env.step(action)
        memory.insert([state, action, reward, terminated, next_state])
        state, step = next_state, step + 1
        episode_return += reward.item()
        done = terminated.item() or truncated.item()
        if step >= warmup_steps and step % train_every == 0:
            batch = memory.sample(batch_size)
            losses.append(
                dqn_update(q_network, target_q_network, optimizer, batch, GAMMA, MAX_GRAD_NORM)  # noqa: F821
            )
        if step % sync_every == 0:
            update_target_network(target_q_network, q_network)
    return episode_return, losses, step, done


def loop_global_sync(
    env, q_network, target_q_network, memory, optimizer, *, step, epsilon_at,
    batch_size, gamma, warmup_steps, train_every, sync_every, max_grad_norm, max_steps,
):  # fmt: skip
    """The reference loop, synchronising every notebook-global SYNC_EVERY steps."""
    state, _ = env.reset()
    episode_return, losses, done = 0.0, [], False
    while not done and step < max_steps:
        action = epsilon_greedy_policy(q_network, state, epsilon_at(step), env.action_space.n)
        next_state, reward, terminated, truncated, _ = env.step(action)
        memory.insert([state, action, reward, terminated, next_state])
        state, step = next_state, step + 1
        episode_return += reward.item()
        done = terminated.item() or truncated.item()
        if step >= warmup_steps and step % train_every == 0:
            batch = memory.sample(batch_size)
            losses.append(
                dqn_update(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm)
            )
        if step % SYNC_EVERY == 0:  # noqa: F821
            update_target_network(target_q_network, q_network)
    return episode_return, losses, step, done


def loop_literal_gamma(
    env, q_network, target_q_network, memory, optimizer, *, step, epsilon_at,
    batch_size, gamma, warmup_steps, train_every, sync_every, max_grad_norm, max_steps,
):  # fmt: skip
    """The reference loop, passing the notebook's numbers themselves to dqn_update."""
    state, _ = env.reset()
    episode_return, losses, done = 0.0, [], False
    while not done and step < max_steps:
        action = epsilon_greedy_policy(q_network, state, epsilon_at(step), env.action_space.n)
        next_state, reward, terminated, truncated, _ = env.step(action)
        memory.insert([state, action, reward, terminated, next_state])
        state, step = next_state, step + 1
        episode_return += reward.item()
        done = terminated.item() or truncated.item()
        if step >= warmup_steps and step % train_every == 0:
            batch = memory.sample(batch_size)
            losses.append(dqn_update(q_network, target_q_network, optimizer, batch, 0.99, 10.0))
        if step % sync_every == 0:
            update_target_network(target_q_network, q_network)
    return episode_return, losses, step, done


def _stub_update(*args: Any) -> Any:
    raise NotImplementedError("Exercise 4.2: write this")


CORRECT = [make_loop(), loop_top_of_iteration, loop_own_randomness]

BUGGY = [
    (
        with_globals(loop_reading_globals, GAMMA=0.99, MAX_GRAD_NORM=10.0),
        "reads the notebook's globals `GAMMA`, `MAX_GRAD_NORM` instead of its own arguments",
    ),
    (
        with_globals(loop_global_sync, SYNC_EVERY=500),
        "reads the notebook's globals `SYNC_EVERY` instead of its own arguments `sync_every`",
    ),
    (loop_literal_gamma, "`dqn_update` was called with other values than the ones"),
    (make_loop(store_done=True), "stored with `terminated`, not done"),
    (make_loop(early_learning=True), "`can_sample(batch_size)` is not the warm-up"),
    (make_loop(every_step=True), "`train_every` is ignored"),
    (make_loop(sync_per_episode=True), "synchronised at the end of episodes"),
    (make_loop(sync_per_update=True), "every sync_every *updates*"),
    (make_loop(swapped_sync=True), "arguments of `update_target_network"),
    (make_loop(rebinds_target=True), "rebinds a local name"),
    (make_loop(tensor_losses=True), "loss tensors were stored"),
    (make_loop(tensor_return=True), "the rewards were added as tensors"),
    (make_loop(stale_state=True), "`state = next_state` is missing"),
    (make_loop(terminated_only=True), "the loop went on after a truncation"),
    (make_loop(episode_epsilon=True), "ε follows the schedule at the global step"),
    (make_loop(greedy_only=True), "ε was ignored"),
    (make_loop(global_num_actions=True), "the notebook's global `num_actions`"),
    (make_loop(int_action=True), "actions are (1, 1) int64 tensors"),
    (make_loop(no_step_increment=True), "the global step count did not grow"),
    (make_loop(store_truncated=True), "`truncated` was stored where `terminated` belongs"),
    (make_loop(double_update=True), "stepped more than once at one environment step"),
    (make_loop(sync_episode_count=True), "counts steps within the episode"),
    (make_loop(sync_every_update=True), "synchronised after every update"),
]


@pytest.mark.parametrize(
    "function", CORRECT, ids=["reference", "top_of_iteration", "own_randomness"]
)
def test_correct_loop_passes(
    function: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    checks.check_dqn_episode(function)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("✅ dqn_episode: all ")


@pytest.mark.parametrize(("function", "phrase"), BUGGY, ids=[phrase[:30] for _, phrase in BUGGY])
def test_buggy_loop_is_named(function: Callable[..., Any], phrase: str) -> None:
    with pytest.raises(ExerciseFailure) as failure:
        checks.check_dqn_episode(function)
    message = str(failure.value)
    assert phrase in message, message
    for part in ("❌ dqn_episode:", "expected:", "got:", "likely cause:", "hint:"):
        assert part in message


def test_stub_is_not_implemented_yet() -> None:
    def stub(env, *args: Any, **kwargs: Any) -> Any:
        env.reset()
        raise NotImplementedError("Exercise 4.3: write this")

    with pytest.raises(ExerciseFailure, match="not implemented yet"):
        checks.check_dqn_episode(stub)


def test_random_generators_are_left_as_they_were(capsys: pytest.CaptureFixture[str]) -> None:
    torch.manual_seed(5)
    random.seed(5)
    torch_state, python_state = torch.get_rng_state(), random.getstate()
    checks.check_dqn_episode(loop_own_randomness)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert random.getstate() == python_state
    assert "✅" in capsys.readouterr().out


def test_the_loop_is_graded_with_the_reference_update(capsys: pytest.CaptureFixture[str]) -> None:
    """One bug, one exercise: a right loop passes although the notebook's dqn_update (4.2)
    is still a stub, and the notebook's own functions are left as they were."""
    loop = with_globals(make_loop(), dqn_update=_stub_update)
    checks.check_dqn_episode(loop)
    assert capsys.readouterr().out.startswith("✅ dqn_episode: all ")
    assert loop.__globals__["dqn_update"] is _stub_update
