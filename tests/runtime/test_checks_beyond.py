"""Tests of notebook 06's checks (``course_utils.checks.beyond``): several correct solutions
of each exercise pass, each classic mistake is rejected with its own diagnosis, in English
and in Korean, and the statistical check of prioritized sampling holds for solutions that
draw from torch, NumPy or Python's ``random``."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from torch import nn

from course_utils import checks
from course_utils.checks import ExerciseFailure
from tests.runtime import test_checks_korean as korean_tests

# --------------------------------------------------------------------------- 6.1 n-step


def n_step_columns(reward_bn, terminated_bn, truncated_bn, next_value_bn, gamma):
    """Forward over the columns, vectorised over the rows."""
    rows, n = reward_bn.shape
    target_b = torch.zeros(rows, 1)
    alive_b = torch.ones(rows, 1, dtype=torch.bool)
    for k in range(n):
        target_b = target_b + alive_b * gamma**k * reward_bn[:, k : k + 1]
        ended_b = terminated_bn[:, k : k + 1] | truncated_bn[:, k : k + 1]
        stops_b = alive_b & (ended_b | (k == n - 1))
        bootstrap_b = ~terminated_bn[:, k : k + 1] * next_value_bn[:, k : k + 1]
        target_b = target_b + stops_b * gamma ** (k + 1) * bootstrap_b
        alive_b = alive_b & ~ended_b
    return target_b


def n_step_backwards(reward_bn, terminated_bn, truncated_bn, next_value_bn, gamma):
    """The recursion G_k = r_k + γ·(0 if terminal, v_k if cut or last, else G_(k+1))."""
    n = reward_bn.shape[1]
    g = None
    for k in reversed(range(n)):
        v = next_value_bn[:, k : k + 1]
        after = v if g is None else torch.where(truncated_bn[:, k : k + 1], v, g)
        after = torch.where(terminated_bn[:, k : k + 1], torch.zeros_like(v), after)
        g = reward_bn[:, k : k + 1] + gamma * after
    return g


def n_step_python(reward_bn, terminated_bn, truncated_bn, next_value_bn, gamma):
    """Row by row with Python numbers."""
    out = []
    for r, te, tr, v in zip(reward_bn.tolist(), terminated_bn.tolist(), truncated_bn.tolist(),
                            next_value_bn.tolist(), strict=True):  # fmt: skip
        total = 0.0
        for k in range(len(r)):
            total += gamma**k * r[k]
            if te[k]:
                break
            if tr[k] or k == len(r) - 1:
                total += gamma ** (k + 1) * v[k]
                break
        out.append([total])
    return torch.tensor(out)


def _n_step_with(**mistake):
    from course_utils.checks.beyond import _n_step

    def n_step_targets(reward_bn, terminated_bn, truncated_bn, next_value_bn, gamma):
        return _n_step(reward_bn, terminated_bn, truncated_bn, next_value_bn, gamma, **mistake)

    return n_step_targets


def n_step_hard_coded_three(reward_bn, terminated_bn, truncated_bn, next_value_bn, gamma):
    return n_step_columns(reward_bn[:, :3], terminated_bn, truncated_bn, next_value_bn, gamma)


def n_step_hard_coded_gamma(reward_bn, terminated_bn, truncated_bn, next_value_bn, gamma):
    return n_step_columns(reward_bn, terminated_bn, truncated_bn, next_value_bn, 0.9)


def n_step_float64(reward_bn, terminated_bn, truncated_bn, next_value_bn, gamma):
    return n_step_python(reward_bn, terminated_bn, truncated_bn, next_value_bn, gamma).double()


# --------------------------------------------------------------------------- 6.2 dueling


def dueling_mean(value_b, advantage_b):
    return value_b + advantage_b - advantage_b.mean(dim=1, keepdim=True)


def dueling_sum(value_b, advantage_b):
    centred = advantage_b - advantage_b.sum(dim=-1, keepdim=True) / advantage_b.shape[-1]
    return value_b.expand_as(advantage_b) + centred


def dueling_no_centring(value_b, advantage_b):
    return value_b + advantage_b


def dueling_max(value_b, advantage_b):
    return value_b + advantage_b - advantage_b.max(dim=1, keepdim=True).values


def dueling_no_value(value_b, advantage_b):
    return advantage_b - advantage_b.mean(dim=1, keepdim=True)


def dueling_batch_mean(value_b, advantage_b):
    return value_b + advantage_b - advantage_b.mean()


def dueling_dim0(value_b, advantage_b):
    return value_b + advantage_b - advantage_b.mean(dim=0, keepdim=True)


def dueling_detached_mean(value_b, advantage_b):
    return value_b + advantage_b - advantage_b.mean(dim=1, keepdim=True).detach()


def dueling_detached_value(value_b, advantage_b):
    return value_b.detach() + advantage_b - advantage_b.mean(dim=1, keepdim=True)


def dueling_no_grad(value_b, advantage_b):
    with torch.no_grad():
        return dueling_mean(value_b, advantage_b)


# --------------------------------------------------------------------------- 6.3 prioritized


def per_torch(priorities, batch_size, alpha, beta):
    probabilities = priorities**alpha / (priorities**alpha).sum()
    index_b = torch.multinomial(probabilities, batch_size, replacement=True)
    weight_b = (len(priorities) * probabilities[index_b]) ** -beta
    return index_b, (weight_b / weight_b.max()).unsqueeze(1)


def per_numpy(priorities, batch_size, alpha, beta):
    """NumPy's global generator, weights normalised by the memory's largest weight."""
    p = priorities.numpy().astype(np.float64) ** alpha
    p /= p.sum()
    index = np.random.choice(len(p), size=batch_size, p=p)  # noqa: NPY002
    weights = (len(p) * p) ** -beta
    weight_b = torch.tensor(weights[index] / weights.max(), dtype=torch.float32)
    return torch.from_numpy(index).long(), weight_b.reshape(-1, 1)


def per_python(priorities, batch_size, alpha, beta):
    p = [x**alpha for x in priorities.tolist()]
    total = sum(p)
    index = random.choices(range(len(p)), weights=p, k=batch_size)
    w = [(len(p) * p[i] / total) ** -beta for i in index]
    return torch.tensor(index), torch.tensor([[x / max(w)] for x in w])


def per_uniform(priorities, batch_size, alpha, beta):
    index_b = torch.randint(len(priorities), (batch_size,))
    return index_b, torch.ones(batch_size, 1)


def per_no_alpha(priorities, batch_size, alpha, beta):
    return per_torch(priorities, batch_size, 1.0, beta)


def per_without_replacement(priorities, batch_size, alpha, beta):
    probabilities = priorities**alpha / (priorities**alpha).sum()
    index_b = torch.multinomial(probabilities, batch_size)
    weight_b = (len(priorities) * probabilities[index_b]) ** -beta
    return index_b, (weight_b / weight_b.max()).unsqueeze(1)


def per_unnormalised(priorities, batch_size, alpha, beta):
    probabilities = priorities**alpha / (priorities**alpha).sum()
    index_b = torch.multinomial(probabilities, batch_size, replacement=True)
    return index_b, ((len(priorities) * probabilities[index_b]) ** -beta).unsqueeze(1)


def per_positive_exponent(priorities, batch_size, alpha, beta):
    probabilities = priorities**alpha / (priorities**alpha).sum()
    index_b = torch.multinomial(probabilities, batch_size, replacement=True)
    weight_b = (len(priorities) * probabilities[index_b]) ** beta
    return index_b, (weight_b / weight_b.max()).unsqueeze(1)


def per_ones(priorities, batch_size, alpha, beta):
    return per_torch(priorities, batch_size, alpha, beta)[0], torch.ones(batch_size, 1)


def per_hard_coded(priorities, batch_size, alpha, beta):
    return per_torch(priorities, batch_size, 0.7, 0.4)


def per_flat_weights(priorities, batch_size, alpha, beta):
    index_b, weight_b = per_torch(priorities, batch_size, alpha, beta)
    return index_b, weight_b.squeeze(1)


# --------------------------------------------------------------------------- 6.4 conv network


class ConvMinAtar(nn.Module):
    """The network of Young & Tian (2019): one 3×3 convolution, one hidden layer."""

    def __init__(self, in_channels, num_actions):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, 16, kernel_size=3)
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * 8 * 8, 128), nn.ReLU(), nn.Linear(128, num_actions)
        )

    def forward(self, state_b):
        return self.head(torch.relu(self.conv(state_b.permute(0, 3, 1, 2).float())))


class ConvTwoLayers(nn.Module):
    """Two padded convolutions, float first then movedim, a LazyLinear."""

    def __init__(self, in_channels, num_actions):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, 8, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(8, 8, 3, stride=2),
            nn.ReLU(),
            nn.Flatten(),
            nn.LazyLinear(64),
            nn.ReLU(),
            nn.Linear(64, num_actions),
        )

    def forward(self, state_b):
        return self.net(torch.movedim(state_b.float(), -1, 1))


class ConvReshape(ConvMinAtar):
    def forward(self, state_b):
        b, h, w, c = state_b.shape
        return self.head(torch.relu(self.conv(state_b.float().reshape(b, c, h, w))))


class ConvNoPermute(ConvMinAtar):
    def forward(self, state_b):
        return self.head(torch.relu(self.conv(state_b.float())))


class ConvNoFloat(ConvMinAtar):
    def forward(self, state_b):
        return self.head(torch.relu(self.conv(state_b.permute(0, 3, 1, 2))))


class ConvFinalRelu(ConvMinAtar):
    def forward(self, state_b):
        return torch.relu(super().forward(state_b))


class ConvUnusedLayer(ConvMinAtar):
    def __init__(self, in_channels, num_actions):
        super().__init__(in_channels, num_actions)
        self.extra = nn.Linear(128, 128)


class ConvBatchNorm(ConvMinAtar):
    def __init__(self, in_channels, num_actions):
        super().__init__(in_channels, num_actions)
        self.norm = nn.BatchNorm2d(16)

    def forward(self, state_b):
        return self.head(torch.relu(self.norm(self.conv(state_b.permute(0, 3, 1, 2).float()))))


class ConvThreeActions(ConvMinAtar):
    def __init__(self, in_channels, num_actions):
        super().__init__(in_channels, 3)


class ConvWrongFlatSize(ConvMinAtar):
    """The first Linear sized for 10 × 10 pixels, forgetting that a 3×3 convolution shrinks them."""

    def __init__(self, in_channels, num_actions):
        super().__init__(in_channels, num_actions)
        self.head[1] = nn.Linear(16 * 10 * 10, 128)


class ConvNoFlatten(ConvMinAtar):
    """No nn.Flatten: the Linear receives (B, 16, 8, 8)."""

    def __init__(self, in_channels, num_actions):
        super().__init__(in_channels, num_actions)
        self.head[0] = nn.Identity()


class MlpOnly(nn.Module):
    def __init__(self, in_channels, num_actions):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(), nn.LazyLinear(64), nn.ReLU(), nn.LazyLinear(num_actions)
        )

    def forward(self, state_b):
        return self.net(state_b.float())


class NotAModule:
    def __init__(self, in_channels, num_actions):
        self.layer = nn.Linear(in_channels, num_actions)


# --------------------------------------------------------------------------- the cases

CORRECT = {
    "check_n_step_targets": [n_step_columns, n_step_backwards, n_step_python],
    "check_dueling_q_values": [dueling_mean, dueling_sum],
    "check_prioritized_sample": [per_torch, per_numpy, per_python],
    "check_conv_q_network": [ConvMinAtar, ConvTwoLayers],
}

BUGGY = [
    ("check_n_step_targets", _n_step_with(stop_at_terminal=False, stop_at_truncation=False),
     "belong to the next episode (rows 1, 2, 4 and 5 mix two episodes)"),
    ("check_n_step_targets", _n_step_with(stop_at_truncation=False), "the sum runs on past a truncation"),
    ("check_n_step_targets", _n_step_with(mask_terminal=False), "bootstraps across a terminal state"),
    ("check_n_step_targets", _n_step_with(truncation_bootstraps=False), "a truncation was treated as a terminal"),
    ("check_n_step_targets", _n_step_with(fixed_power=True), "always discounted by γ^n"),
    ("check_n_step_targets", _n_step_with(last_column=True), "from the last column of next_value_bn"),
    ("check_n_step_targets", _n_step_with(reward_power=1, bootstrap_power=1), "every power of γ is one too high"),
    ("check_n_step_targets", _n_step_with(bootstrap_power=-1), "one step too little"),
    ("check_n_step_targets", _n_step_with(bootstrap=False), "the bootstrap term is missing"),
    ("check_n_step_targets", n_step_hard_coded_three, "a number is hard-coded"),
    ("check_n_step_targets", n_step_hard_coded_gamma, "a number is hard-coded"),
    ("check_n_step_targets", n_step_float64, "a float64 tensor crept in"),
    ("check_dueling_q_values", dueling_no_centring, "Q = V + A is not identifiable"),
    ("check_dueling_q_values", dueling_max, "the maximum advantage was subtracted"),
    ("check_dueling_q_values", dueling_no_value, "the value stream is missing"),
    ("check_dueling_q_values", dueling_batch_mean, "over the whole batch"),
    ("check_dueling_q_values", dueling_dim0, "over the batch (dim 0)"),
    ("check_dueling_q_values", dueling_detached_mean, "the mean of the advantages was detached"),
    ("check_dueling_q_values", dueling_detached_value, "no gradient reached value_b"),
    ("check_dueling_q_values", dueling_no_grad, "the result left autograd"),
    ("check_prioritized_sample", per_uniform, "drawn uniformly"),
    ("check_prioritized_sample", per_no_alpha, "alpha was ignored"),
    ("check_prioritized_sample", per_without_replacement, "without replacement"),
    ("check_prioritized_sample", per_unnormalised, "the weights were not normalised"),
    ("check_prioritized_sample", per_positive_exponent, "the exponent's sign is wrong"),
    ("check_prioritized_sample", per_ones, "all weights are 1"),
    ("check_prioritized_sample", per_hard_coded, "alpha or beta is hard-coded"),
    ("check_prioritized_sample", per_flat_weights, "shape (5, 1)"),
    ("check_conv_q_network", ConvReshape, "reshape/view keeps the memory order"),
    ("check_conv_q_network", ConvNoPermute, "MinAtar gives channels last"),
    ("check_conv_q_network", ConvNoFloat, "the observation's booleans reached the convolution"),
    ("check_conv_q_network", ConvFinalRelu, "followed by an activation"),
    ("check_conv_q_network", ConvUnusedLayer, "no gradient for extra.weight, extra.bias"),
    ("check_conv_q_network", ConvBatchNorm, "the rows of the batch are mixed"),
    ("check_conv_q_network", ConvThreeActions, "a layer size is hard-coded"),
    ("check_conv_q_network", ConvWrongFlatSize,
     "C × H × W = 16 × 8 × 8 = 1024 features per state; the first nn.Linear expects 1600"),
    ("check_conv_q_network", ConvNoFlatten, "reached the first linear layer without being flattened"),
    ("check_conv_q_network", MlpOnly, "no convolutional layer"),
    ("check_conv_q_network", NotAModule, "does not derive from `nn.Module`"),
]  # fmt: skip

CORRECT_CASES = [(name, f) for name, functions in CORRECT.items() for f in functions]


@pytest.mark.parametrize(
    ("name", "function"), CORRECT_CASES, ids=lambda x: getattr(x, "__name__", x)
)
def test_correct_solution_passes(name, function, capsys: pytest.CaptureFixture[str]) -> None:
    getattr(checks, name)(function)
    out = capsys.readouterr().out
    exercise = name.removeprefix("check_")
    assert out.count("\n") == 1 and out.startswith(f"✅ {exercise}: all "), out


@pytest.mark.parametrize(
    ("name", "function", "phrase"), BUGGY, ids=[f"{n[6:]}-{p[:30]}" for n, _, p in BUGGY]
)
def test_buggy_solution_is_named(name, function, phrase: str) -> None:
    with pytest.raises(ExerciseFailure) as failure:
        getattr(checks, name)(function)
    message = str(failure.value)
    assert phrase in message, message
    for part in (f"❌ {name[6:]}", "expected:", "got:", "likely cause:", "hint:"):
        assert part in message


@pytest.mark.parametrize(
    ("name", "function", "phrase"), BUGGY, ids=[f"{n[6:]}-{p[:30]}" for n, _, p in BUGGY]
)
def test_buggy_solution_is_diagnosed_in_korean(name, function, phrase: str) -> None:
    korean_tests.test_buggy_implementation_is_diagnosed_in_korean(name, function, phrase)


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_stub_is_not_implemented_yet(name: str) -> None:
    def stub(*args):
        raise NotImplementedError("Exercise 9.9: write this")

    with pytest.raises(ExerciseFailure, match="not implemented yet") as failure:
        getattr(checks, name)(stub)
    assert "Exercise 9.9" in str(failure.value)


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_success_line_in_korean(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    checks.set_language("ko")
    try:
        getattr(checks, name)(CORRECT[name][0])
    finally:
        checks.set_language("en")
    assert "개 속성을 모두 만족합니다." in capsys.readouterr().out


def test_prioritized_sampling_passes_whatever_was_seeded_before(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The check seeds its own draws and leaves the global generators as they were."""
    torch.manual_seed(1)
    random.seed(2)
    np.random.seed(3)  # noqa: NPY002
    states = torch.get_rng_state(), random.getstate(), np.random.get_state()[1].copy()  # noqa: NPY002
    for sampler in CORRECT["check_prioritized_sample"]:
        checks.check_prioritized_sample(sampler)
    assert torch.equal(torch.get_rng_state(), states[0])
    assert random.getstate() == states[1]
    assert np.array_equal(np.random.get_state()[1], states[2])  # noqa: NPY002
    capsys.readouterr()


def test_prioritized_sampling_bound_holds_for_an_unseeded_sampler(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A correct sampler with its own, unseeded generator passes too: the 5-σ bounds are not
    tuned to one seed's draws."""
    for seed in range(3):
        generator = np.random.default_rng(seed)

        def per_own_generator(priorities, batch_size, alpha, beta, generator=generator):
            p = priorities.double().numpy() ** alpha
            p /= p.sum()
            index = generator.choice(len(p), size=batch_size, p=p)
            w = (len(p) * p[index]) ** -beta
            return torch.from_numpy(index), torch.from_numpy(w / w.max()).float().unsqueeze(1)

        checks.check_prioritized_sample(per_own_generator)
    capsys.readouterr()


def test_n_step_reference_matches_the_one_step_dqn_target() -> None:
    """With n = 1 the check's n-step target is r + γ·(1 − terminated)·v."""
    from course_utils.checks.beyond import _n_step, _random_n_step_inputs

    reward_bn, terminated_bn, truncated_bn, next_value_bn = _random_n_step_inputs(1, seed=0)
    expected = reward_bn + 0.8 * (~terminated_bn) * next_value_bn
    assert torch.allclose(
        _n_step(reward_bn, terminated_bn, truncated_bn, next_value_bn, 0.8), expected
    )
