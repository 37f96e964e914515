"""Tests of ``checks.check_epsilon_greedy_policy``: correct policies drawing their random
numbers from torch, Python's ``random`` or NumPy pass; each classic mistake is rejected with
its own diagnosis; the three global generators are left as they were."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from torch import nn

from course_utils import checks
from course_utils.checks import ExerciseFailure


def greedy(q_network, state):
    with torch.no_grad():
        return q_network(state).argmax(dim=1, keepdim=True)


# --------------------------------------------------------------------------- correct policies


def policy_torch(q_network, state, epsilon, num_actions):
    actions = greedy(q_network, state)
    explore = torch.rand(actions.shape) < epsilon
    return torch.where(explore, torch.randint(num_actions, actions.shape), actions)


def policy_random(q_network, state, epsilon, num_actions):
    rows = []
    for action in greedy(q_network, state)[:, 0].tolist():
        rows.append([random.randrange(num_actions) if random.random() < epsilon else action])
    return torch.tensor(rows)


def policy_numpy(q_network, state, epsilon, num_actions):
    actions = greedy(q_network, state).numpy()
    explore = np.random.random(actions.shape) < epsilon  # noqa: NPY002
    random_actions = np.random.randint(num_actions, size=actions.shape)  # noqa: NPY002
    return torch.from_numpy(np.where(explore, random_actions, actions).astype(np.int64))


def policy_bernoulli(q_network, state, epsilon, num_actions):
    """Explores with a Bernoulli draw and `multinomial`, on the q-values without no_grad."""
    q_values = q_network(state)
    explore = torch.bernoulli(torch.full((len(state), 1), float(epsilon))).bool()
    uniform = torch.ones(len(state), num_actions)
    random_actions = torch.multinomial(uniform, 1)
    return torch.where(explore, random_actions, q_values.argmax(dim=1, keepdim=True))


CORRECT = [policy_torch, policy_random, policy_numpy, policy_bernoulli]

# --------------------------------------------------------------------------- buggy policies


def one_coin_per_batch(q_network, state, epsilon, num_actions):
    if random.random() < epsilon:
        return torch.randint(num_actions, (len(state), 1))
    return greedy(q_network, state)


def single_state_only(q_network, state, epsilon, num_actions):
    if random.random() < epsilon:
        return torch.tensor([[random.randrange(num_actions)]])
    return greedy(q_network, state)[:1]


def excludes_greedy(q_network, state, epsilon, num_actions):
    actions = greedy(q_network, state)
    shift = torch.randint(1, num_actions, actions.shape)
    explore = torch.rand(actions.shape) < epsilon
    return torch.where(explore, (actions + shift) % num_actions, actions)


def inverted(q_network, state, epsilon, num_actions):
    actions = greedy(q_network, state)
    explore = torch.rand(actions.shape) > epsilon
    return torch.where(explore, torch.randint(num_actions, actions.shape), actions)


def randint_inclusive(q_network, state, epsilon, num_actions):
    rows = []
    for action in greedy(q_network, state)[:, 0].tolist():
        rows.append([random.randint(0, num_actions) if random.random() < epsilon else action])
    return torch.tensor(rows)


def hard_coded_three(q_network, state, epsilon, num_actions):
    actions = greedy(q_network, state)
    explore = torch.rand(actions.shape) < epsilon
    return torch.where(explore, torch.randint(3, actions.shape), actions)


def argmin(q_network, state, epsilon, num_actions):
    actions = q_network(state).argmin(dim=1, keepdim=True)
    explore = torch.rand(actions.shape) < epsilon
    return torch.where(explore, torch.randint(num_actions, actions.shape), actions)


def no_keepdim(q_network, state, epsilon, num_actions):
    actions = q_network(state).argmax(dim=1)
    explore = torch.rand(actions.shape) < epsilon
    return torch.where(explore, torch.randint(num_actions, actions.shape), actions)


def float_action(q_network, state, epsilon, num_actions):
    return policy_torch(q_network, state, epsilon, num_actions).float()


def global_argmax(q_network, state, epsilon, num_actions):
    actions = q_network(state).argmax().view(1, 1).expand(len(state), 1)
    explore = torch.rand(actions.shape) < epsilon
    return torch.where(explore, torch.randint(num_actions, actions.shape), actions)


_cached: dict[str, nn.Module] = {}


def first_network_only(q_network, state, epsilon, num_actions):
    network = _cached.setdefault("network", q_network)
    return policy_torch(network, state, epsilon, num_actions)


def returns_q_values(q_network, state, epsilon, num_actions):
    return q_network(state)


def stub(q_network, state, epsilon, num_actions):
    raise NotImplementedError("Exercise 9.9: choose an action")


def reseeds_inside(q_network, state, epsilon, num_actions):
    """Re-seeds a generator of its own at every call: every call draws the same numbers."""
    generator = torch.Generator().manual_seed(0)
    actions = greedy(q_network, state)
    explore = torch.rand(actions.shape, generator=generator) < epsilon
    random_actions = torch.randint(num_actions, actions.shape, generator=generator)
    return torch.where(explore, random_actions, actions)


def reseeds_numpy_generator(q_network, state, epsilon, num_actions):
    """A seeded NumPy Generator made inside the function: its first draw at the check's
    state happens to be the greedy action, so only a batch shows that it does explore."""
    rng = np.random.default_rng(42)
    actions = greedy(q_network, state).numpy()
    explore = rng.random(actions.shape) < epsilon
    random_actions = rng.integers(num_actions, size=actions.shape)
    return torch.from_numpy(np.where(explore, random_actions, actions).astype(np.int64))


def fixed_epsilon(q_network, state, epsilon, num_actions):
    """Explores with its own ε = 0.1, whatever it is given."""
    actions = greedy(q_network, state)
    explore = torch.rand(actions.shape) < 0.1
    return torch.where(explore, torch.randint(num_actions, actions.shape), actions)


BUGGY = [
    (reseeds_numpy_generator, "although on a batch the rows explore"),
    (fixed_epsilon, "the policy still explores at ε = 0"),
    (reseeds_inside, "re-seeds a random generator each time it is called"),
    (one_coin_per_batch, "one random number decided for the whole batch"),
    (single_state_only, "one action for the whole batch"),
    (excludes_greedy, "the greedy action never comes up at ε = 1"),
    (inverted, "at ε = 0 the action is not the one with the largest Q-value"),
    (randint_inclusive, "includes its upper bound"),
    (hard_coded_three, "are never drawn"),
    (argmin, "the lowest Q-value was chosen"),
    (no_keepdim, "lost its (B, 1) shape"),
    (float_action, "the action is int64"),
    (global_argmax, "`argmax()` without `dim` on a batch"),
    (first_network_only, "uses the `q_network` it is given"),
    (returns_q_values, "the Q-values came back"),
]


@pytest.mark.parametrize("policy", CORRECT, ids=lambda f: f.__name__)
def test_correct_policy_passes(policy, capsys: pytest.CaptureFixture[str]) -> None:
    checks.check_epsilon_greedy_policy(policy)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("✅ epsilon_greedy_policy: all ")


@pytest.mark.parametrize(("policy", "phrase"), BUGGY, ids=lambda f: getattr(f, "__name__", ""))
def test_buggy_policy_is_named(policy, phrase: str) -> None:
    _cached.clear()
    with pytest.raises(ExerciseFailure) as failure:
        checks.check_epsilon_greedy_policy(policy)
    message = str(failure.value)
    assert phrase in message, message
    for part in ("❌ epsilon_greedy_policy", "expected:", "got:", "likely cause:", "hint:"):
        assert part in message


def test_stub_is_not_implemented_yet() -> None:
    with pytest.raises(ExerciseFailure, match="not implemented yet") as failure:
        checks.check_epsilon_greedy_policy(stub)
    assert "Exercise 9.9" in str(failure.value)


def test_a_called_function_is_refused() -> None:
    with pytest.raises(ExerciseFailure, match="without parentheses"):
        checks.check_epsilon_greedy_policy(torch.zeros(1, 1, dtype=torch.int64))


def test_all_random_generators_are_left_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    torch.manual_seed(1)
    random.seed(2)
    np.random.seed(3)  # noqa: NPY002
    states = torch.get_rng_state(), random.getstate(), np.random.get_state()[1].copy()  # noqa: NPY002
    for policy in CORRECT:
        checks.check_epsilon_greedy_policy(policy)
    with pytest.raises(ExerciseFailure):
        checks.check_epsilon_greedy_policy(excludes_greedy)
    assert torch.equal(torch.get_rng_state(), states[0])
    assert random.getstate() == states[1]
    assert np.array_equal(np.random.get_state()[1], states[2])  # noqa: NPY002
    capsys.readouterr()


def test_a_correct_policy_passes_under_other_seeds(capsys: pytest.CaptureFixture[str]) -> None:
    """The check seeds its own draws: what the notebook seeded before does not matter."""
    for seed in range(3):
        torch.manual_seed(seed)
        random.seed(seed)
        checks.check_epsilon_greedy_policy(policy_random)
    capsys.readouterr()
