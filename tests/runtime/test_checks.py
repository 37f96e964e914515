"""Tests of course_utils.checks: correct implementations pass, classic mistakes are named.

Each check must accept several different correct implementations (it tests properties,
not our code) and reject every classic buggy variant with a message that names the
mistake. The buggy variants are the ones students actually write.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import checks
from course_utils.checks import ExerciseFailure
from tools import exercises

# --------------------------------------------------------------------------- helpers


def with_globals(function: Callable[..., Any], **names: Any) -> Callable[..., Any]:
    """The same function, reading `names` as module globals (as a notebook's globals)."""
    namespace = {**function.__globals__, **names}
    clone = type(function)(function.__code__, namespace, function.__name__)
    return clone


def stub(*args: Any) -> Any:
    raise NotImplementedError("Exercise 9.9: write this")


# --------------------------------------------------------------------------- 01: linear_layer


def linear_matmul(x_b, weight, bias):
    return x_b @ weight.T + bias


def linear_functional(x_b, weight, bias):
    return F.linear(x_b, weight, bias)


def linear_addmm(x_b, weight, bias):
    return torch.addmm(bias, x_b, weight.t())


def linear_broadcast(x_b, weight, bias):
    return (x_b.unsqueeze(1) * weight).sum(dim=-1) + bias


def linear_no_transpose(x_b, weight, bias):
    return x_b @ weight + bias


def linear_transposed_result(x_b, weight, bias):
    return weight @ x_b.T + bias.unsqueeze(1)


def linear_no_bias(x_b, weight, bias):
    return x_b @ weight.T


def linear_relu(x_b, weight, bias):
    return torch.relu(x_b @ weight.T + bias)


def linear_sigmoid(x_b, weight, bias):
    return torch.sigmoid(x_b @ weight.T + bias)


def linear_numpy(x_b, weight, bias):
    return (x_b.numpy() @ weight.detach().numpy().T + bias.numpy()).tolist()


def linear_rebuilt(x_b, weight, bias):
    return torch.tensor((x_b @ weight.T + bias).tolist())


# --------------------------------------------------------------------------- 01: gradient step


def step_new(w, grad, alpha):
    return w - alpha * grad


def step_in_place(w, grad, alpha):
    w -= alpha * grad
    return w


def step_sub(w, grad, alpha):
    return torch.sub(w, grad, alpha=alpha)


def step_plus(w, grad, alpha):
    return w + alpha * grad


def step_no_alpha(w, grad, alpha):
    return w - grad


def step_only_step(w, grad, alpha):
    return -alpha * grad


def step_no_return(w, grad, alpha):
    w -= alpha * grad


def step_no_grad(w, grad, alpha):
    return w - alpha


# --------------------------------------------------------------------------- 02: select_q_values


def select_gather(q_values_b, action_b):
    return q_values_b.gather(1, action_b)


def select_indexing(q_values_b, action_b):
    return q_values_b[torch.arange(len(q_values_b)), action_b.squeeze(1)].unsqueeze(1)


def select_one_hot(q_values_b, action_b):
    one_hot = F.one_hot(action_b.squeeze(1), q_values_b.shape[1])
    return (q_values_b * one_hot).sum(dim=1, keepdim=True)


def select_take_along(q_values_b, action_b):
    return torch.take_along_dim(q_values_b, action_b, dim=1)


def select_squeezed(q_values_b, action_b):
    return q_values_b.gather(1, action_b).squeeze()


def select_fancy(q_values_b, action_b):
    return q_values_b[:, action_b]


def select_max(q_values_b, action_b):
    return q_values_b.max(dim=1, keepdim=True).values


def select_dim0(q_values_b, action_b):
    return q_values_b.gather(0, action_b)


def select_detached(q_values_b, action_b):
    return q_values_b.gather(1, action_b).detach()


def select_rows(q_values_b, action_b):
    return q_values_b[action_b]


def select_argmax(q_values_b, action_b):
    return q_values_b.argmax(dim=1, keepdim=True)


# --------------------------------------------------------------------------- 02: training_step


def train_standard(network, optimizer, loss_fn, x_b, y_b):
    optimizer.zero_grad()
    loss = loss_fn(network(x_b), y_b)
    loss.backward()
    optimizer.step()
    return loss.item()


def train_network_zero_grad(network, optimizer, loss_fn, x_b, y_b):
    network.zero_grad(set_to_none=False)
    prediction_b = network(x_b)
    loss = loss_fn(prediction_b, y_b)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def train_no_zero_grad(network, optimizer, loss_fn, x_b, y_b):
    loss = loss_fn(network(x_b), y_b)
    loss.backward()
    optimizer.step()
    return loss.item()


def train_no_step(network, optimizer, loss_fn, x_b, y_b):
    optimizer.zero_grad()
    loss = loss_fn(network(x_b), y_b)
    loss.backward()
    return loss.item()


def train_no_backward(network, optimizer, loss_fn, x_b, y_b):
    optimizer.zero_grad()
    loss = loss_fn(network(x_b), y_b)
    optimizer.step()
    return loss.item()


def train_zero_grad_late(network, optimizer, loss_fn, x_b, y_b):
    loss = loss_fn(network(x_b), y_b)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()


def train_returns_tensor(network, optimizer, loss_fn, x_b, y_b):
    optimizer.zero_grad()
    loss = loss_fn(network(x_b), y_b)
    loss.backward()
    optimizer.step()
    return loss


def train_detached(network, optimizer, loss_fn, x_b, y_b):
    optimizer.zero_grad()
    loss = loss_fn(network(x_b).detach(), y_b)
    loss.backward()
    optimizer.step()
    return loss.item()


def train_loss_after(network, optimizer, loss_fn, x_b, y_b):
    optimizer.zero_grad()
    loss_fn(network(x_b), y_b).backward()
    optimizer.step()
    return loss_fn(network(x_b), y_b).item()


# --------------------------------------------------------------------------- target networks


def make_deepcopy(q_network):
    target_q_network = copy.deepcopy(q_network)
    target_q_network.requires_grad_(False)
    return target_q_network.eval()


def make_rebuilt(q_network):
    """A deepcopy-free rebuild: new layers of the same sizes, then load_state_dict."""
    layers = [
        nn.Linear(m.in_features, m.out_features) if isinstance(m, nn.Linear) else type(m)()
        for m in q_network
    ]
    target_q_network = nn.Sequential(*layers)
    target_q_network.load_state_dict(q_network.state_dict())
    for p in target_q_network.parameters():
        p.requires_grad = False
    target_q_network.eval()
    return target_q_network


def make_same(q_network):
    return q_network.requires_grad_(False)


def make_shallow(q_network):
    return copy.copy(q_network).requires_grad_(False).eval()


def make_shared_layers(q_network):
    return nn.Sequential(*q_network).requires_grad_(False).eval()


def make_fresh(q_network):
    layers = [
        nn.Linear(m.in_features, m.out_features) if isinstance(m, nn.Linear) else type(m)()
        for m in q_network
    ]
    return nn.Sequential(*layers).requires_grad_(False).eval()


def make_grad_on(q_network):
    return copy.deepcopy(q_network).eval()


def make_train_mode(q_network):
    return copy.deepcopy(q_network).requires_grad_(False)


def make_eval_not_called(q_network):
    target = copy.deepcopy(q_network).requires_grad_(False)
    target.eval  # noqa: B018 (the bug under test: the method is named, not called)
    return target


def make_under_no_grad(q_network):
    with torch.no_grad():
        target = copy.deepcopy(q_network)
    return target.eval()


def make_chained(q_network):
    return copy.deepcopy(q_network).requires_grad_(False).eval()


def make_froze_online(q_network):
    q_network.requires_grad_(False).eval()
    return copy.deepcopy(q_network)


def make_state_dict(q_network):
    return copy.deepcopy(q_network.state_dict())


def update_load(target_q_network, q_network):
    target_q_network.load_state_dict(q_network.state_dict())


def update_copy(target_q_network, q_network):
    with torch.no_grad():
        for target_p, p in zip(target_q_network.parameters(), q_network.parameters(), strict=True):
            target_p.copy_(p)


def update_rebind(target_q_network, q_network):
    target_q_network = copy.deepcopy(q_network)  # noqa: F841 - the mistake under test


def update_swapped(target_q_network, q_network):
    q_network.load_state_dict(target_q_network.state_dict())


def update_shared(target_q_network, q_network):
    for target_p, p in zip(target_q_network.parameters(), q_network.parameters(), strict=True):
        target_p.data = p.data


def update_unfreezes(target_q_network, q_network):
    target_q_network.load_state_dict(q_network.state_dict())
    target_q_network.requires_grad_(True)


# --------------------------------------------------------------------------- Deep SARSA targets


def sarsa_no_grad(reward_b, terminated_b, next_state_b, next_action_b, target_q_network, gamma):
    with torch.no_grad():
        next_q_b = target_q_network(next_state_b).gather(1, next_action_b)
    return reward_b + gamma * (~terminated_b) * next_q_b


def sarsa_detach(reward_b, terminated_b, next_state_b, next_action_b, target_q_network, gamma):
    q_b = target_q_network(next_state_b).detach()
    next_q_b = q_b[torch.arange(len(q_b)), next_action_b.squeeze(1)].unsqueeze(1)
    return reward_b + gamma * (1 - terminated_b.float()) * next_q_b


def sarsa_where(reward_b, terminated_b, next_state_b, next_action_b, target_q_network, gamma):
    with torch.no_grad():
        next_q_b = target_q_network(next_state_b).gather(1, next_action_b)
    return torch.where(terminated_b, reward_b, reward_b + gamma * next_q_b)


def sarsa_bug(body: Callable[..., Any]) -> Callable[..., Any]:
    """A Deep SARSA target whose bootstrap value comes from `body(q_b, next_action_b)`."""

    def sarsa_targets(reward_b, terminated_b, next_state_b, next_action_b, target_q_network, gamma):
        with torch.no_grad():
            q_b = target_q_network(next_state_b)
        return body(reward_b, terminated_b, q_b, next_action_b, gamma)

    return sarsa_targets


def sarsa_no_no_grad(reward_b, terminated_b, next_state_b, next_action_b, target_q_network, gamma):
    next_q_b = target_q_network(next_state_b).gather(1, next_action_b)
    return reward_b + gamma * (~terminated_b) * next_q_b


def sarsa_in_place(reward_b, terminated_b, next_state_b, next_action_b, target_q_network, gamma):
    with torch.no_grad():
        next_q_b = target_q_network(next_state_b).gather(1, next_action_b)
    reward_b += gamma * (~terminated_b) * next_q_b
    return reward_b


def sarsa_global(reward_b, terminated_b, next_state_b, next_action_b, target_q_network, gamma):
    with torch.no_grad():
        next_q_b = q_network(next_state_b).gather(1, next_action_b)  # noqa: F821 - a notebook global
    return reward_b + gamma * (~terminated_b) * next_q_b


# --------------------------------------------------------------------------- DQN targets


def dqn_no_grad(reward_b, terminated_b, next_state_b, target_q_network, gamma):
    with torch.no_grad():
        next_q_b = target_q_network(next_state_b).max(dim=1, keepdim=True).values
    return reward_b + gamma * (~terminated_b) * next_q_b


def dqn_detach(reward_b, terminated_b, next_state_b, target_q_network, gamma):
    next_q_b = target_q_network(next_state_b).detach().amax(dim=1).unsqueeze(1)
    return reward_b + gamma * (1 - terminated_b.float()) * next_q_b


def dqn_where(reward_b, terminated_b, next_state_b, target_q_network, gamma):
    with torch.no_grad():
        next_q_b, _ = target_q_network(next_state_b).max(dim=1, keepdim=True)
    return torch.where(terminated_b, reward_b, reward_b + gamma * next_q_b)


def dqn_bug(body: Callable[..., Any]) -> Callable[..., Any]:
    """A DQN target whose arithmetic is `body(reward_b, terminated_b, q_b, gamma)`."""

    def dqn_targets(reward_b, terminated_b, next_state_b, target_q_network, gamma):
        with torch.no_grad():
            q_b = target_q_network(next_state_b)
        return body(reward_b, terminated_b, q_b, gamma)

    return dqn_targets


def dqn_no_no_grad(reward_b, terminated_b, next_state_b, target_q_network, gamma):
    next_q_b = target_q_network(next_state_b).max(dim=1, keepdim=True).values
    return reward_b + gamma * (~terminated_b) * next_q_b


def dqn_global(reward_b, terminated_b, next_state_b, target_q_network, gamma):
    with torch.no_grad():
        next_q_b = q_network(next_state_b).max(dim=1, keepdim=True).values  # noqa: F821
    return reward_b + gamma * (~terminated_b) * next_q_b


def keep_max(q_b):
    return q_b.max(dim=1, keepdim=True).values


# --------------------------------------------------------------------------- Double DQN targets


def double_no_grad(reward_b, terminated_b, next_state_b, q_network, target_q_network, gamma):
    with torch.no_grad():
        best_b = q_network(next_state_b).argmax(dim=1, keepdim=True)
        next_q_b = target_q_network(next_state_b).gather(1, best_b)
    return reward_b + gamma * (~terminated_b) * next_q_b


def double_detach(reward_b, terminated_b, next_state_b, q_network, target_q_network, gamma):
    best = q_network(next_state_b).argmax(dim=1)
    q_b = target_q_network(next_state_b).detach()
    next_q_b = q_b[torch.arange(len(q_b)), best].unsqueeze(1)
    return torch.where(terminated_b, reward_b, reward_b + gamma * next_q_b)


def double_bug(body: Callable[..., Any]) -> Callable[..., Any]:
    def double_dqn_targets(
        reward_b, terminated_b, next_state_b, q_network, target_q_network, gamma
    ):
        with torch.no_grad():
            online_b, target_b = q_network(next_state_b), target_q_network(next_state_b)
        return body(reward_b, (~terminated_b).float(), online_b, target_b, gamma)

    return double_dqn_targets


def double_no_no_grad(reward_b, terminated_b, next_state_b, q_network, target_q_network, gamma):
    best_b = q_network(next_state_b).argmax(dim=1, keepdim=True)
    next_q_b = target_q_network(next_state_b).gather(1, best_b)
    return reward_b + gamma * (~terminated_b) * next_q_b


def double_online_value(reward_b, terminated_b, next_state_b, q_network, target_q_network, gamma):
    next_q_b = q_network(next_state_b).max(dim=1, keepdim=True).values
    return reward_b + gamma * (~terminated_b) * next_q_b


# --------------------------------------------------------------------------- q_loss


def loss_mse(q_network, state_b, action_b, target_b):
    return F.mse_loss(q_network(state_b).gather(1, action_b), target_b)


def loss_mean_square(q_network, state_b, action_b, target_b):
    q_b = q_network(state_b)
    q_b = q_b[torch.arange(len(q_b)), action_b.squeeze(1)].unsqueeze(1)
    return ((q_b - target_b) ** 2).mean()


def loss_module(q_network, state_b, action_b, target_b):
    return nn.MSELoss()(target_b, q_network(state_b).gather(1, action_b))


def loss_item(q_network, state_b, action_b, target_b):
    return F.mse_loss(q_network(state_b).gather(1, action_b), target_b).item()


def loss_unreduced(q_network, state_b, action_b, target_b):
    return (q_network(state_b).gather(1, action_b) - target_b) ** 2


def loss_broadcast(q_network, state_b, action_b, target_b):
    return F.mse_loss(q_network(state_b).gather(1, action_b).squeeze(), target_b)


def loss_broadcast_unreduced(q_network, state_b, action_b, target_b):
    return (q_network(state_b).gather(1, action_b).squeeze(1) - target_b) ** 2


def loss_no_grad(q_network, state_b, action_b, target_b):
    with torch.no_grad():
        q_b = q_network(state_b).gather(1, action_b)
    return F.mse_loss(q_b, target_b)


def loss_sum(q_network, state_b, action_b, target_b):
    return ((q_network(state_b).gather(1, action_b) - target_b) ** 2).sum()


def loss_max(q_network, state_b, action_b, target_b):
    return F.mse_loss(q_network(state_b).max(dim=1, keepdim=True).values, target_b)


def loss_huber(q_network, state_b, action_b, target_b):
    return F.smooth_l1_loss(q_network(state_b).gather(1, action_b), target_b)


def loss_dim0(q_network, state_b, action_b, target_b):
    return F.mse_loss(q_network(state_b).gather(0, action_b), target_b)


def loss_fancy(q_network, state_b, action_b, target_b):
    return F.mse_loss(q_network(state_b)[:, action_b], target_b)


def loss_fancy_squeezed(q_network, state_b, action_b, target_b):
    return ((q_network(state_b)[:, action_b.squeeze(1)] - target_b) ** 2).mean()


def loss_fancy_unreduced(q_network, state_b, action_b, target_b):
    return (q_network(state_b)[:, action_b] - target_b) ** 2


# --------------------------------------------------------------------------- issues 26, 27


def linear_mutates_input(x_b, weight, bias):
    x_b.mul_(2)
    return x_b @ weight.T + bias


def step_float64(w, grad, alpha):
    return (w - alpha * grad).double()


def select_zeroes_input(q_values_b, action_b):
    q_values_b.data.mul_(0)
    return q_values_b.gather(1, action_b)


def select_on_meta(q_values_b, action_b):
    return torch.empty(q_values_b.shape[0], 1, device="meta")


def sarsa_inference_mode(
    reward_b, terminated_b, next_state_b, next_action_b, target_q_network, gamma
):
    with torch.inference_mode():
        next_q_b = target_q_network(next_state_b).gather(1, next_action_b)
        return reward_b + gamma * ~terminated_b * next_q_b


def dqn_inference_mode(reward_b, terminated_b, next_state_b, target_q_network, gamma):
    with torch.inference_mode():
        return reward_b + gamma * ~terminated_b * keep_max(target_q_network(next_state_b))


def dqn_without_values(reward_b, terminated_b, next_state_b, target_q_network, gamma):
    with torch.no_grad():
        return reward_b + gamma * ~terminated_b * target_q_network(next_state_b).max(
            1, keepdim=True
        )


def dqn_global_gamma(reward_b, terminated_b, next_state_b, target_q_network, gamma):
    with torch.no_grad():
        return reward_b + GAMMA * ~terminated_b * keep_max(target_q_network(next_state_b))  # noqa: F821


def double_one_hot(reward_b, terminated_b, next_state_b, q_network, target_q_network, gamma):
    """Selects a* with a one-hot mask instead of gather, under the decorator's no_grad."""
    with torch.no_grad():
        target_b = target_q_network(next_state_b)
        best = F.one_hot(q_network(next_state_b).argmax(dim=1), target_b.shape[1])
        value_b = (target_b * best).sum(dim=1, keepdim=True)
        return reward_b + gamma * torch.logical_not(terminated_b) * value_b


def double_average(reward_b, terminated_b, next_state_b, q_network, target_q_network, gamma):
    """The mean of both networks' values of a*."""
    with torch.no_grad():
        online_b = q_network(next_state_b)
        best_b = online_b.argmax(dim=1, keepdim=True)
        value_b = (
            online_b.gather(1, best_b) + target_q_network(next_state_b).gather(1, best_b)
        ) / 2
        return reward_b + gamma * ~terminated_b * value_b


def loss_swapped(q_network, state_b, action_b, target_b):
    """F.mse_loss(target, prediction): the arguments the other way round, the same number."""
    return F.mse_loss(target_b, q_network(state_b).gather(1, action_b))


def loss_unsquared(q_network, state_b, action_b, target_b):
    return (target_b - q_network(state_b).gather(1, action_b)).mean()


def double_clipped(reward_b, terminated_b, next_state_b, q_network, target_q_network, gamma):
    """Clipped double Q (TD3): the smaller of the two networks' values of a*."""
    with torch.no_grad():
        best_b = q_network(next_state_b).argmax(dim=1, keepdim=True)
        value_b = torch.minimum(
            q_network(next_state_b).gather(1, best_b),
            target_q_network(next_state_b).gather(1, best_b),
        )
        return reward_b + gamma * ~terminated_b * value_b


def loss_without_gather(q_network, state_b, action_b, target_b):
    return F.mse_loss(q_network(state_b), target_b)


# --------------------------------------------------------------------------- the cases

CORRECT: dict[str, list[Callable[..., Any]]] = {
    "check_linear_layer": [linear_matmul, linear_functional, linear_addmm, linear_broadcast],
    "check_gradient_descent_step": [step_new, step_in_place, step_sub],
    "check_select_q_values": [select_gather, select_indexing, select_one_hot, select_take_along],
    "check_training_step": [train_standard, train_network_zero_grad],
    "check_make_target_network": [make_deepcopy, make_rebuilt, make_chained],
    "check_update_target_network": [update_load, update_copy],
    "check_sarsa_targets": [sarsa_no_grad, sarsa_detach, sarsa_where],
    "check_dqn_targets": [dqn_no_grad, dqn_detach, dqn_where],
    "check_double_dqn_targets": [double_no_grad, double_detach, double_one_hot],
    "check_q_loss": [loss_mse, loss_mean_square, loss_module, loss_swapped],
}

_global_net = nn.Sequential(nn.Linear(checks.STATE_DIM, checks.N_ACTIONS))
_cartpole_net = nn.Sequential(nn.Linear(4, 2))

BUGGY: list[tuple[str, Callable[..., Any], str]] = [
    # 01 linear_layer
    ("check_linear_layer", linear_no_transpose, "missing transpose"),
    ("check_linear_layer", linear_transposed_result, "(H, B)"),
    ("check_linear_layer", linear_no_bias, "the bias is missing"),
    ("check_linear_layer", linear_relu, "an activation (ReLU) was applied"),
    ("check_linear_layer", linear_sigmoid, "an activation (sigmoid) was applied"),
    ("check_linear_layer", linear_numpy, "returns something other than a torch tensor"),
    ("check_linear_layer", linear_rebuilt, "the computation left autograd"),
    ("check_linear_layer", linear_mutates_input, "your function changed its input: x_b"),
    # 01 gradient_descent_step
    ("check_gradient_descent_step", step_plus, "you climbed the loss"),
    ("check_gradient_descent_step", step_no_alpha, "alpha was ignored"),
    ("check_gradient_descent_step", step_only_step, "returned the step instead of the new w"),
    ("check_gradient_descent_step", step_no_return, "without `return`"),
    ("check_gradient_descent_step", step_no_grad, "the gradient was ignored"),
    ("check_gradient_descent_step", step_float64, "a float64 tensor crept in"),
    # 02 select_q_values
    ("check_select_q_values", select_squeezed, "(B,) instead of (B, 1)"),
    ("check_select_q_values", select_fancy, "q_values_b[:, action_b]"),
    ("check_select_q_values", select_max, "max was used instead of the action taken"),
    ("check_select_q_values", select_dim0, "gather along dim 0"),
    ("check_select_q_values", select_detached, "the selection left autograd"),
    ("check_select_q_values", select_rows, "used as row numbers"),
    ("check_select_q_values", select_argmax, "the indices"),
    ("check_select_q_values", select_zeroes_input, "your function changed its input: q_values_b"),
    ("check_select_q_values", select_on_meta, "another device"),
    # 02 training_step
    ("check_training_step", train_no_zero_grad, "`optimizer.zero_grad()` is missing"),
    ("check_training_step", train_no_step, "`optimizer.step()` is missing"),
    ("check_training_step", train_no_backward, "`loss.backward()` is missing"),
    ("check_training_step", train_zero_grad_late, "between backward and step"),
    ("check_training_step", train_returns_tensor, "the loss tensor was returned"),
    ("check_training_step", train_detached, "backward() through something detached"),
    ("check_training_step", train_loss_after, "after optimizer.step()"),
    # 03/04 make_target_network
    ("check_make_target_network", make_same, "returning the same object"),
    ("check_make_target_network", make_shallow, "shares parameters"),
    ("check_make_target_network", make_shared_layers, "shares parameters"),
    ("check_make_target_network", make_fresh, "freshly initialised"),
    ("check_make_target_network", make_grad_on, "gradients are still enabled"),
    ("check_make_target_network", make_train_mode, "still in train mode"),
    ("check_make_target_network", make_froze_online, "online network was frozen"),
    ("check_make_target_network", make_eval_not_called, "`target.eval` without parentheses"),
    ("check_make_target_network", make_under_no_grad, "A copy made under `torch.no_grad()`"),
    ("check_make_target_network", make_state_dict, "other than a network"),
    # 03/04 update_target_network
    ("check_update_target_network", update_rebind, "rebinding a local name"),
    ("check_update_target_network", update_swapped, "arguments are swapped"),
    ("check_update_target_network", update_shared, "shares parameters"),
    ("check_update_target_network", update_unfreezes, "re-enabled gradients"),
    # 03 sarsa_targets
    (
        "check_sarsa_targets",
        sarsa_bug(lambda r, t, q, a, g: r + g * q.gather(1, a)),
        "terminal transitions still bootstrap",
    ),
    (
        "check_sarsa_targets",
        sarsa_bug(lambda r, t, q, a, g: r + g * t * q.gather(1, a)),
        "the mask is inverted",
    ),
    (
        "check_sarsa_targets",
        sarsa_bug(lambda r, t, q, a, g: r + g * (1 - t) * q.gather(1, a)),
        "arithmetic on the bool tensor",
    ),
    (
        "check_sarsa_targets",
        sarsa_bug(lambda r, t, q, a, g: r + g * (not t) * q.gather(1, a)),
        "Python's `not`",
    ),
    (
        "check_sarsa_targets",
        sarsa_bug(lambda r, t, q, a, g: r + g * (~t) * q.max(dim=1, keepdim=True).values),
        "max used where the sampled next action belongs",
    ),
    (
        "check_sarsa_targets",
        sarsa_bug(lambda r, t, q, a, g: r + g * (~t) * q.gather(0, a)),
        "gather along dim 0",
    ),
    (
        "check_sarsa_targets",
        sarsa_bug(lambda r, t, q, a, g: r + g * (~t) * q[:, a]),
        "(B, B)",
    ),
    (
        "check_sarsa_targets",
        sarsa_bug(lambda r, t, q, a, g: (r + g * (~t) * q.gather(1, a)).squeeze(1)),
        "(B,) instead of (B, 1)",
    ),
    (
        "check_sarsa_targets",
        sarsa_bug(lambda r, t, q, a, g: r + (~t) * q.gather(1, a)),
        "gamma ignored",
    ),
    (
        "check_sarsa_targets",
        sarsa_bug(lambda r, t, q, a, g: g * (r + (~t) * q.gather(1, a))),
        "gamma applied to the reward",
    ),
    (
        "check_sarsa_targets",
        sarsa_bug(lambda r, t, q, a, g: g * (~t) * q.gather(1, a)),
        "the reward is omitted",
    ),
    (
        "check_sarsa_targets",
        sarsa_bug(lambda r, t, q, a, g: (~t) * (r + g * q.gather(1, a))),
        "reward of terminal transitions was zeroed",
    ),
    (
        "check_sarsa_targets",
        sarsa_bug(lambda r, t, q, a, g: r + g * (~t) * q.gather(1, a).double()),
        "float64",
    ),
    (
        "check_sarsa_targets",
        sarsa_bug(lambda r, t, q, a, g: r + g * (~t) * q.mean(dim=1, keepdim=True)),
        "the mean over all actions was used",
    ),
    ("check_sarsa_targets", sarsa_no_no_grad, "the gradient reaches the network"),
    ("check_sarsa_targets", sarsa_in_place, "modified in place"),
    ("check_sarsa_targets", sarsa_inference_mode, "computed under `torch.inference_mode()`"),
    (
        "check_sarsa_targets",
        with_globals(sarsa_global, q_network=_global_net),
        "notebook's global `q_network`",
    ),
    (
        "check_sarsa_targets",
        with_globals(sarsa_global, q_network=_cartpole_net),
        "the notebook's `q_network`",
    ),
    # 04 dqn_targets
    (
        "check_dqn_targets",
        dqn_bug(lambda r, t, q, g: r + g * keep_max(q)),
        "terminal transitions still bootstrap",
    ),
    (
        "check_dqn_targets",
        dqn_bug(lambda r, t, q, g: r + g * t * keep_max(q)),
        "the mask is inverted",
    ),
    (
        "check_dqn_targets",
        dqn_bug(lambda r, t, q, g: r - g * -t * keep_max(q)),
        "arithmetic on the bool tensor",
    ),
    (
        "check_dqn_targets",
        dqn_bug(lambda r, t, q, g: r + g * (~t) * q.max(dim=1).values),
        "(B, B)",
    ),
    (
        "check_dqn_targets",
        dqn_bug(lambda r, t, q, g: r + g * (~t) * q.max(dim=1, keepdim=True).indices),
        "the indices of the max",
    ),
    (
        "check_dqn_targets",
        dqn_bug(lambda r, t, q, g: r + g * (~t) * q.max()),
        "the max was taken over the whole batch",
    ),
    (
        "check_dqn_targets",
        dqn_bug(lambda r, t, q, g: r + g * (~t) * q.mean(dim=1, keepdim=True)),
        "the mean over actions",
    ),
    (
        "check_dqn_targets",
        dqn_bug(lambda r, t, q, g: r + g * (~t) * q.max(dim=0).values),
        "one value per action",
    ),
    ("check_dqn_targets", dqn_bug(lambda r, t, q, g: r + (~t) * keep_max(q)), "gamma ignored"),
    (
        "check_dqn_targets",
        dqn_bug(lambda r, t, q, g: g * (r + (~t) * keep_max(q))),
        "gamma applied to the reward",
    ),
    (
        "check_dqn_targets",
        dqn_bug(lambda r, t, q, g: g * (~t) * keep_max(q)),
        "the reward is omitted",
    ),
    (
        "check_dqn_targets",
        dqn_bug(lambda r, t, q, g: r + g * (~t) * q.sum(dim=1, keepdim=True)),
        "the sum over actions was used",
    ),
    (
        "check_dqn_targets",
        dqn_bug(lambda r, t, q, g: r + g * (~t) * q.min(dim=1, keepdim=True).values),
        "min instead of max",
    ),
    ("check_dqn_targets", dqn_no_no_grad, "the gradient reaches the network"),
    ("check_dqn_targets", dqn_inference_mode, "computed under `torch.inference_mode()`"),
    ("check_dqn_targets", dqn_without_values, "returns a pair (values, indices)"),
    (
        "check_dqn_targets",
        with_globals(dqn_global_gamma, GAMMA=0.99),
        "reads the notebook's globals `GAMMA` instead of its own arguments `gamma`",
    ),
    (
        "check_dqn_targets",
        with_globals(dqn_global, q_network=_global_net),
        "notebook's global `q_network`",
    ),
    # 05 double_dqn_targets
    (
        "check_double_dqn_targets",
        double_bug(lambda r, m, qo, qt, g: r + g * m * qt.max(dim=1, keepdim=True).values),
        "argmax taken with the target network",
    ),
    (
        "check_double_dqn_targets",
        double_bug(lambda r, m, qo, qt, g: r + g * m * qo.max(dim=1, keepdim=True).values),
        "the value was read from the online network",
    ),
    (
        "check_double_dqn_targets",
        double_bug(
            lambda r, m, qo, qt, g: r + g * m * qo.gather(1, qt.argmax(dim=1, keepdim=True))
        ),
        "the two networks are swapped",
    ),
    (
        "check_double_dqn_targets",
        double_bug(lambda r, m, qo, qt, g: r + g * qt.gather(1, qo.argmax(dim=1, keepdim=True))),
        "terminal transitions still bootstrap",
    ),
    (
        "check_double_dqn_targets",
        double_bug(
            lambda r, m, qo, qt, g: r + g * (1 - m) * qt.gather(1, qo.argmax(dim=1, keepdim=True))
        ),
        "the mask is inverted",
    ),
    (
        "check_double_dqn_targets",
        double_bug(lambda r, m, qo, qt, g: r + g * m * qt.gather(1, qo.argmax(1, True)).squeeze()),
        "(B, B)",
    ),
    ("check_double_dqn_targets", double_no_no_grad, "the gradient reaches the network"),
    ("check_double_dqn_targets", double_clipped, "clipped double Q-learning"),
    ("check_double_dqn_targets", double_average, "the average of q(s', a*) and q_targ(s', a*)"),
    (
        "check_double_dqn_targets",
        double_bug(lambda r, m, qo, qt, g: r + g * m * torch.minimum(keep_max(qo), keep_max(qt))),
        "the smaller of the two networks' maxima",
    ),
    (
        "check_double_dqn_targets",
        double_bug(lambda r, m, qo, qt, g: r + g * m * qt.gather(0, qo.argmax(1, True))),
        "gather along dim 0",
    ),
    ("check_double_dqn_targets", double_online_value, "the gradient reaches the network"),
    # 03/04 q_loss
    ("check_q_loss", loss_item, "Python number"),
    ("check_q_loss", loss_unreduced, "not reduced to a scalar"),
    ("check_q_loss", loss_broadcast, "silent (B, B) broadcast"),
    ("check_q_loss", loss_broadcast_unreduced, "a (B, B) broadcast"),
    ("check_q_loss", loss_no_grad, "the loss carries no gradient"),
    ("check_q_loss", loss_sum, "sum instead of mean"),
    ("check_q_loss", loss_unsquared, "averaged without being squared"),
    ("check_q_loss", loss_max, "max used instead of the action taken"),
    ("check_q_loss", loss_huber, "Huber"),
    ("check_q_loss", loss_dim0, "gather along dim 0"),
    ("check_q_loss", loss_fancy, "each row picked the actions of all B rows"),
    ("check_q_loss", loss_fancy_squeezed, "(B, B) with a squeezed index"),
    ("check_q_loss", loss_fancy_unreduced, "not a selection per row"),
    (
        "check_q_loss",
        loss_without_gather,
        "the Q-values of all actions were compared with the target",
    ),
]


def _case_id(case: tuple[str, Callable[..., Any], str]) -> str:
    name, function, phrase = case
    return f"{name.removeprefix('check_')}-{phrase[:40]}"


# --------------------------------------------------------------------------- the tests


# Checks whose correct and buggy implementations (classes, whole loops) have a module of their own.
def checks_tested_apart() -> dict[str, str]:
    """The checks with a test module of their own, from the course's table of exercises
    (course_utils/exercises.toml): a check whose module, course_utils/checks/<module>.py, has
    tests/runtime/test_checks_<module>.py is tested there, by that file's CORRECT and BUGGY
    (lists for a module with one check; a dict by check and (check, function, phrase) rows for
    a module with several); every other check is tested here."""
    here = Path(__file__).parent
    return {
        e.check: f"tests.runtime.test_checks_{e.module}"
        for e in exercises.load().values()
        if (here / f"test_checks_{e.module}.py").is_file()
    }


TESTED_APART = checks_tested_apart()


def test_every_check_is_tested() -> None:
    registered = {e.check for e in exercises.load().values()}
    assert registered == {name for name in checks.__all__ if name.startswith("check_")}
    here = registered - set(TESTED_APART)
    assert here == set(CORRECT)
    assert here == {name for name, _, _ in BUGGY}
    assert all(len(functions) >= 2 for functions in CORRECT.values())
    assert {"check_replay_memory", "check_dqn_episode"} <= set(TESTED_APART)  # the rule finds them
    for name, module_name in TESTED_APART.items():
        module = importlib.import_module(module_name)
        if isinstance(module.CORRECT, dict):  # several checks in one module
            correct = module.CORRECT[name]
            buggy = [row for row in module.BUGGY if row[0] == name]
            assert len(correct) >= 2, f"{name}: fewer than 2 correct implementations tested"
        else:
            correct, buggy = module.CORRECT, module.BUGGY
            assert len(correct) >= 3, f"{name}: fewer than 3 correct implementations tested"
        assert len(buggy) >= 6, f"{name}: fewer than 6 buggy implementations tested"


@pytest.mark.parametrize(
    ("name", "function"),
    [(name, f) for name, functions in CORRECT.items() for f in functions],
    ids=lambda value: value if isinstance(value, str) else value.__name__,
)
def test_correct_implementation_passes(
    name: str, function: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    getattr(checks, name)(function)
    out = capsys.readouterr().out
    assert out.count("\n") == 1, "one success line"
    assert out.startswith("✅ ") and "properties hold." in out


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize(("name", "function", "phrase"), BUGGY, ids=map(_case_id, BUGGY))
def test_buggy_implementation_is_named(
    name: str, function: Callable[..., Any], phrase: str
) -> None:
    with pytest.raises(ExerciseFailure) as failure:
        getattr(checks, name)(function)
    message = str(failure.value)
    assert phrase in message
    for part in ("❌", "expected:", "got:", "likely cause:", "hint:"):
        assert part in message


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_stub_is_not_implemented_yet(name: str) -> None:
    with pytest.raises(ExerciseFailure, match="not implemented yet") as failure:
        getattr(checks, name)(stub)
    assert "Exercise 9.9" in str(failure.value)
    assert isinstance(failure.value, AssertionError)


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_check_rejects_a_called_function(name: str) -> None:
    with pytest.raises(ExerciseFailure, match="without parentheses"):
        getattr(checks, name)(torch.zeros(2))


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize("name", sorted(CORRECT))
def test_rng_state_is_left_unchanged(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    torch.manual_seed(123)
    state = torch.get_rng_state()
    getattr(checks, name)(CORRECT[name][-1])
    assert torch.equal(torch.get_rng_state(), state)
    for _, buggy, _ in (case for case in BUGGY if case[0] == name):
        with pytest.raises(ExerciseFailure):
            getattr(checks, name)(buggy)
    assert torch.equal(torch.get_rng_state(), state)
    capsys.readouterr()


def test_checks_ignore_global_grad_mode_and_default_dtype(
    capsys: pytest.CaptureFixture[str],
) -> None:
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        with torch.no_grad():
            checks.check_q_loss(loss_mse)
            checks.check_dqn_targets(dqn_no_grad)
    finally:
        torch.set_default_dtype(default)
    assert torch.get_default_dtype() == default
    assert capsys.readouterr().out.count("✅") == 2


def test_failure_keeps_the_student_error_as_cause() -> None:
    def broken(q_values_b, action_b):
        raise ValueError("boom")

    with pytest.raises(ExerciseFailure) as failure:
        checks.check_select_q_values(broken)
    assert isinstance(failure.value.__cause__, ValueError)
    assert "ValueError: boom" in str(failure.value)


def make_notebook_network(q_network):
    target_q_network = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 2))
    target_q_network.load_state_dict(q_network.state_dict())
    return target_q_network.requires_grad_(False).eval()


def update_with_module(target_q_network, q_network):
    target_q_network.load_state_dict(q_network)


@pytest.mark.parametrize(
    ("name", "function", "phrase"),
    [
        ("check_make_target_network", make_notebook_network, "another architecture"),
        ("check_update_target_network", update_with_module, "was given a network"),
    ],
)
def test_load_state_dict_mistakes_are_explained(
    name: str, function: Callable[..., Any], phrase: str
) -> None:
    with pytest.raises(ExerciseFailure, match=phrase):
        getattr(checks, name)(function)
