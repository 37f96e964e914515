"""Reference implementations of the exercises, for a student who is stuck.

A notebook runs top to bottom only if every exercise works. A student stuck on one can use
its reference implementation, explicitly, and go on with the rest of the notebook:

>>> from course_utils import checks, reference
>>> dqn_targets = reference.dqn_targets
>>> checks.check_dqn_targets(dqn_targets)  # doctest: +ELLIPSIS
<BLANKLINE>
⚠️ ⚠️ ...
⚠️  Exercise 4.1: you are using the reference implementation; the rest of the notebook runs, the exercise counts as not done.
⚠️ ⚠️ ...

The check then prints that notice instead of grading, and the autograder (which sets
``COURSE_UTILS_GRADING=1``) counts the exercise as failed. Every function here carries the
attribute ``__course_reference__ = True``, by which the checks recognise it, and counts its
calls, so that a function that only calls the reference is recognised too. Exercise 3.1's
reference is :class:`ReplayMemory`, ``course_utils.ReplayMemory`` marked the same way, and
Exercise 6.4's is the class :class:`ConvQNetwork`, marked and counted likewise (its unmarked
twin is ``ConvQNetwork.__wrapped__``).

The names and signatures are the notebooks'; the code is theirs too, so reading it gives the
answer away: it is for going on, not for learning.
"""

from __future__ import annotations

import copy
import functools
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_utils import replay

__all__ = [
    "ReplayMemory",
    "linear_layer",
    "gradient_descent_step",
    "select_q_values",
    "training_step",
    "make_target_network",
    "update_target_network",
    "epsilon_greedy_policy",
    "sarsa_targets",
    "q_loss",
    "dqn_targets",
    "dqn_update",
    "dqn_episode",
    "double_dqn_targets",
    "n_step_targets",
    "dueling_q_values",
    "prioritized_sample",
    "ConvQNetwork",
]

# How often each reference was called, by exercise name (the checks read it).
CALLS: Counter[str] = Counter()

F_ = TypeVar("F_", bound=Callable[..., Any])


def _reference(function: F_) -> F_:
    """Mark ``function`` as a reference implementation and count its calls."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        CALLS[function.__name__] += 1
        return function(*args, **kwargs)

    wrapper.__course_reference__ = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


class ReplayMemory(replay.ReplayMemory):
    """Exercise 3.1's reference: :class:`course_utils.ReplayMemory`, marked as the reference."""

    __course_reference__ = True

    def __init__(self, capacity: int, device: str | torch.device = "cpu") -> None:
        CALLS["replay_memory"] += 1
        super().__init__(capacity, device=device)


@_reference
def linear_layer(x_b: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """Exercise 1.1: the weighted sums of a batch, (B, D) -> (B, H)."""
    return x_b @ weight.T + bias


@_reference
def gradient_descent_step(w: Tensor, grad: Tensor, alpha: float) -> Tensor:
    """Exercise 1.2: w ← w − α·∇L, a new tensor."""
    return w - alpha * grad


@_reference
def select_q_values(q_values_b: Tensor, action_b: Tensor) -> Tensor:
    """Exercise 2.1: q(s, a) of each row's action, (B, 1)."""
    return q_values_b.gather(1, action_b)


@_reference
def training_step(
    network: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    x_b: Tensor,
    y_b: Tensor,
) -> float:
    """Exercise 2.2: one gradient step on (x_b, y_b); the loss before it, as a float."""
    optimizer.zero_grad()
    loss = loss_fn(network(x_b), y_b)
    loss.backward()
    optimizer.step()
    return loss.item()


@_reference
def make_target_network(q_network: nn.Module) -> nn.Module:
    """Exercise 3.2: an independent copy of q_network, frozen, in eval mode."""
    target_q_network = copy.deepcopy(q_network)
    target_q_network.requires_grad_(False)
    return target_q_network.eval()


@_reference
def update_target_network(target_q_network: nn.Module, q_network: nn.Module) -> None:
    """Exercise 3.3: θ_targ ← θ, in place."""
    target_q_network.load_state_dict(q_network.state_dict())


@_reference
def epsilon_greedy_policy(
    q_network: nn.Module, state: Tensor, epsilon: float, num_actions: int
) -> Tensor:
    """Exercise 3.4: per row, a uniformly random action with probability ε, else the greedy one."""
    with torch.no_grad():
        greedy = q_network(state).argmax(dim=-1, keepdim=True)
    explore = torch.rand(greedy.shape, device=state.device) < epsilon
    random_actions = torch.randint(num_actions, greedy.shape, device=state.device)
    return torch.where(explore, random_actions, greedy)


@_reference
def sarsa_targets(
    reward_b: Tensor,
    terminated_b: Tensor,
    next_state_b: Tensor,
    next_action_b: Tensor,
    target_q_network: nn.Module,
    gamma: float,
) -> Tensor:
    """Exercise 3.5: r + γ·(1 − terminated)·q_targ(s', a'), (B, 1), without gradient."""
    with torch.no_grad():
        next_q_b = target_q_network(next_state_b).gather(1, next_action_b)
        return reward_b + gamma * ~terminated_b * next_q_b


@_reference
def q_loss(q_network: nn.Module, state_b: Tensor, action_b: Tensor, target_b: Tensor) -> Tensor:
    """Exercise 3.6: the mean squared error between q(S, A) and target_b, a scalar."""
    return F.mse_loss(q_network(state_b).gather(1, action_b), target_b)


@_reference
def dqn_targets(
    reward_b: Tensor,
    terminated_b: Tensor,
    next_state_b: Tensor,
    target_q_network: nn.Module,
    gamma: float,
) -> Tensor:
    """Exercise 4.1: r + γ·(1 − terminated)·max_a q_targ(s', a), (B, 1), without gradient."""
    with torch.no_grad():
        next_q_b = target_q_network(next_state_b).max(dim=1, keepdim=True).values
        return reward_b + gamma * ~terminated_b * next_q_b


@_reference
def dqn_update(
    q_network: nn.Module,
    target_q_network: nn.Module,
    optimizer: torch.optim.Optimizer,
    batch: tuple[Tensor, ...],
    gamma: float,
    max_grad_norm: float,
) -> float:
    """Exercise 4.2: one clipped DQN gradient step; the loss before it, as a float."""
    state_b, action_b, reward_b, terminated_b, next_state_b = batch
    target_b = dqn_targets(reward_b, terminated_b, next_state_b, target_q_network, gamma)
    loss = q_loss(q_network, state_b, action_b, target_b)
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(q_network.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item()


@_reference
def dqn_episode(
    env: Any,
    q_network: nn.Module,
    target_q_network: nn.Module,
    memory: Any,
    optimizer: torch.optim.Optimizer,
    *,
    step: int,
    epsilon_at: Callable[[int], float],
    batch_size: int,
    gamma: float,
    warmup_steps: int,
    train_every: int,
    sync_every: int,
    max_grad_norm: float,
    max_steps: int,
) -> tuple[float, list[float], int, bool]:
    """Exercise 4.3: one episode of Deep Q-learning; (episode_return, losses, step, done)."""
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
        if step % sync_every == 0:
            update_target_network(target_q_network, q_network)
    return episode_return, losses, step, done


@_reference
def double_dqn_targets(
    reward_b: Tensor,
    terminated_b: Tensor,
    next_state_b: Tensor,
    q_network: nn.Module,
    target_q_network: nn.Module,
    gamma: float,
) -> Tensor:
    """Exercise 5.1: a* = argmax_a q(s', a), valued by q_targ(s', a*), (B, 1), without gradient."""
    with torch.no_grad():
        next_action_b = q_network(next_state_b).argmax(dim=1, keepdim=True)
        next_q_b = target_q_network(next_state_b).gather(1, next_action_b)
        return reward_b + gamma * ~terminated_b * next_q_b


@_reference
def n_step_targets(
    reward_bn: Tensor,
    terminated_bn: Tensor,
    truncated_bn: Tensor,
    next_value_bn: Tensor,
    gamma: float,
) -> Tensor:
    """Exercise 6.1: Σ_k γ^k·r_k up to the episode's end (or n), + γ^m·v unless terminal, (B, 1)."""
    num_rows, n = reward_bn.shape
    target_b = torch.zeros(num_rows, 1, dtype=reward_bn.dtype, device=reward_bn.device)
    running_b = torch.ones(num_rows, 1, dtype=torch.bool, device=reward_bn.device)
    for k in range(n):
        target_b = target_b + running_b * gamma**k * reward_bn[:, k : k + 1]
        ends_b = terminated_bn[:, k : k + 1] | truncated_bn[:, k : k + 1] | (k == n - 1)
        ends_b = running_b & ends_b
        bootstraps_b = ends_b & ~terminated_bn[:, k : k + 1]
        target_b = target_b + bootstraps_b * gamma ** (k + 1) * next_value_bn[:, k : k + 1]
        running_b = running_b & ~ends_b
    return target_b


@_reference
def dueling_q_values(value_b: Tensor, advantage_b: Tensor) -> Tensor:
    """Exercise 6.2: Q = V + A − mean over actions of A, (B, 1) and (B, A) -> (B, A)."""
    return value_b + advantage_b - advantage_b.mean(dim=1, keepdim=True)


@_reference
def prioritized_sample(
    priorities: Tensor, batch_size: int, alpha: float, beta: float
) -> tuple[Tensor, Tensor]:
    """Exercise 6.3: indices drawn with P(i) ∝ p_i^α, with replacement, and their weights
    (N·P(i))^(−β) divided by the batch's largest: (batch_size,) int64, (batch_size, 1) float32."""
    probabilities = priorities**alpha
    probabilities = probabilities / probabilities.sum()
    index_b = torch.multinomial(probabilities, batch_size, replacement=True)
    weight_b = (len(priorities) * probabilities[index_b]) ** -beta
    return index_b, (weight_b / weight_b.max()).unsqueeze(1).float()


class _ConvQNetwork(nn.Module):
    """Exercise 6.4, unmarked: MinAtar observations (B, 10, 10, C) in, Q-values (B, A) out."""

    def __init__(self, in_channels: int, num_actions: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, 16, kernel_size=3)  # (B, C, 10, 10) -> (B, 16, 8, 8)
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 8 * 8, 128), nn.ReLU(), nn.Linear(128, num_actions)
        )

    def forward(self, state_b: Tensor) -> Tensor:
        return self.head(torch.relu(self.conv(state_b.permute(0, 3, 1, 2).float())))


class ConvQNetwork(_ConvQNetwork):
    """Exercise 6.4's reference: one 3×3 convolution of 16 filters, a hidden layer of 128."""

    __course_reference__ = True
    __wrapped__ = _ConvQNetwork

    def __init__(self, in_channels: int, num_actions: int) -> None:
        CALLS["conv_q_network"] += 1
        super().__init__(in_channels, num_actions)
