"""TorchEnv: tensors with a batch dimension, terminated and truncated kept apart."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env

from course_utils import TorchEnv

ENV_IDS = ["CartPole-v1", "MountainCar-v0", "Acrobot-v1"]
STATE_DIMS = {"CartPole-v1": 4, "MountainCar-v0": 2, "Acrobot-v1": 6}


class DummyEnv(gym.Env):
    """A toy environment with the spaces a test asks for (after SB3's DummyEnv)."""

    def __init__(self, observation_space: gym.Space, action_space: gym.Space) -> None:
        self.observation_space, self.action_space = observation_space, action_space

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self.observation_space.sample(), {}

    def step(self, action):
        return self.observation_space.sample(), 0.0, False, False, {}


class Unbatched(gym.Wrapper):
    """TorchEnv's results in gymnasium's own types: the batch dimension dropped, tensors back
    to NumPy arrays and Python numbers. Only the representation changes, so gymnasium's
    `check_env`, which cannot read `(1, D)` tensors, checks everything else TorchEnv does:
    seeding, determinism, fresh data at every call, values inside the spaces, the API."""

    def reset(self, *, seed=None, options=None):
        state, info = self.env.reset(seed=seed, options=options)
        return state[0].numpy(), info

    def step(self, action):
        next_state, reward, terminated, truncated, info = self.env.step(torch.tensor([[action]]))
        return next_state[0].numpy(), reward.item(), terminated.item(), truncated.item(), info


# What check_env says of any wrapped environment, and of CartPole's unbounded velocities.
EXPECTED_WARNINGS = ("different from the unwrapped version", "infinity")


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_gymnasium_env_checker_accepts_the_wrapped_environments(env_id):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # The close check re-creates the environment from `env.spec`, which needs every
        # wrapper to record its arguments (gymnasium.utils.RecordConstructorArgs); the course
        # never re-creates environments from specs, so closing is tested on its own below.
        check_env(
            Unbatched(TorchEnv(gym.make(env_id))), skip_render_check=True, skip_close_check=True
        )
    unexpected = [
        str(w.message) for w in caught if not any(e in str(w.message) for e in EXPECTED_WARNINGS)
    ]
    assert unexpected == []


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_wrapped_environments_seed_and_step_as_check_env_asks_in_tensor_form(env_id):
    """check_env's seeding, determinism and fresh-data checks, on TorchEnv's tensors."""
    env = TorchEnv(gym.make(env_id))
    first, _ = env.reset(seed=123)
    after_first, _ = env.reset()
    again, _ = env.reset(seed=123)
    assert torch.equal(first, again)  # a seed fixes the start
    assert torch.equal(after_first, env.reset()[0])  # ... and the unseeded resets after it
    assert not torch.equal(first, env.reset(seed=456)[0])
    assert first[0].numpy() in env.observation_space

    def one_step(seed):
        env.reset(seed=seed)
        return env.step(torch.tensor([[1]]))

    step_1, step_2 = one_step(123), one_step(123)
    for tensor_1, tensor_2 in zip(step_1[:4], step_2[:4], strict=True):
        assert torch.equal(tensor_1, tensor_2)  # same seed and action, same transition
        assert tensor_1.untyped_storage().data_ptr() != tensor_2.untyped_storage().data_ptr()
    assert not step_1[2].item() and not step_1[3].item()  # neither ends after one step
    assert step_1[0][0].numpy() in env.observation_space


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_reset_and_step_return_batched_tensors(env_id):
    env = TorchEnv(gym.make(env_id))
    state, info = env.reset(seed=0)
    assert isinstance(info, dict)
    assert state.shape == (1, STATE_DIMS[env_id]) and state.dtype == torch.float32
    next_state, reward, terminated, truncated, info = env.step(torch.tensor([[0]]))
    assert next_state.shape == (1, STATE_DIMS[env_id]) and next_state.dtype == torch.float32
    assert reward.shape == (1, 1) and reward.dtype == torch.float32
    assert terminated.shape == truncated.shape == (1, 1)
    assert terminated.dtype == truncated.dtype == torch.bool
    assert isinstance(info, dict)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_wrapper_matches_the_raw_environment(env_id):
    raw, env = gym.make(env_id), TorchEnv(gym.make(env_id))
    raw_state, _ = raw.reset(seed=3)
    state, _ = env.reset(seed=3)
    np.testing.assert_array_equal(state.numpy()[0], raw_state)
    for action in [0, 1, 1, 0, 1]:
        raw_state, raw_reward, raw_terminated, raw_truncated, _ = raw.step(action)
        state, reward, terminated, truncated, _ = env.step(torch.tensor([[action]]))
        np.testing.assert_array_equal(state.numpy()[0], raw_state)
        assert (reward.item(), terminated.item(), truncated.item()) == (
            raw_reward,
            raw_terminated,
            raw_truncated,
        )


def test_mountain_car_is_truncated_at_200_steps_not_terminated():
    env = TorchEnv(gym.make("MountainCar-v0"))
    env.reset(seed=0)
    for step in range(1, 201):
        _, reward, terminated, truncated, _ = env.step(1)  # never push: never reaches the goal
        assert reward.item() == -1.0
        assert not terminated.item()
        assert truncated.item() == (step == 200)


def test_cart_pole_falling_is_terminated_not_truncated():
    env = TorchEnv(gym.make("CartPole-v1"))
    env.reset(seed=0)
    for _ in range(500):
        _, _, terminated, truncated, _ = env.step(1)  # always push right: the pole falls
        if terminated.item() or truncated.item():
            break
    assert terminated.item() and not truncated.item()


@pytest.mark.parametrize(
    "action",
    [
        torch.tensor([[1]]),
        torch.tensor(1),
        torch.tensor([1]),
        torch.tensor([[1]], dtype=torch.int32),
        1,
        np.int64(1),
    ],
    ids=["(1,1)-tensor", "0-d-tensor", "(1,)-tensor", "int32-tensor", "int", "numpy-int"],
)
def test_step_accepts_one_integer_action_in_any_form(action):
    env = TorchEnv(gym.make("CartPole-v1"))
    env.reset(seed=0)
    reference = TorchEnv(gym.make("CartPole-v1"))
    reference.reset(seed=0)
    assert torch.equal(env.step(action)[0], reference.step(1)[0])


def test_same_seed_same_trajectory():
    def trajectory(seed):
        env = TorchEnv(gym.make("Acrobot-v1"))
        states = [env.reset(seed=seed)[0]]
        states += [env.step(step % 3)[0] for step in range(20)]
        return torch.cat(states)

    assert torch.equal(trajectory(7), trajectory(7))
    assert not torch.equal(trajectory(7), trajectory(8))


def test_returned_tensors_are_not_shared_between_steps():
    env = TorchEnv(gym.make("CartPole-v1"))
    env.reset(seed=0)
    _, reward, terminated, _, _ = env.step(0)
    terminated |= True  # a careless in-place update must not leak into later steps
    reward += 10
    _, reward, terminated, _, _ = env.step(0)
    assert reward.item() == 1.0 and not terminated.item()


def test_closing_twice_is_allowed():
    env = TorchEnv(gym.make("CartPole-v1", render_mode="rgb_array"))
    env.reset(seed=0)
    env.render()
    env.close()
    env.close()


def test_render_and_spaces_pass_through():
    env = TorchEnv(gym.make("CartPole-v1", render_mode="rgb_array"))
    env.reset(seed=0)
    assert env.render().shape == (400, 600, 3)
    assert env.action_space.n == 2 and env.observation_space.shape == (4,)
    env.close()


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "error", "message"),
    [
        (2, ValueError, r"`action` in Discrete\(2\) .* got 2"),
        (torch.tensor([[-1]]), ValueError, r"`action` in Discrete\(2\) .* got -1"),
        (
            torch.tensor([[0, 1]]),
            ValueError,
            r"`action` to hold one action, shaped \(1, 1\), got .* \(1, 2\)",
        ),
        (
            torch.tensor([[1.0]]),
            TypeError,
            r"`action` to be an integer tensor .* got torch.float32",
        ),
        (torch.tensor([[True]]), TypeError, r"`action` to be an integer tensor .* got torch.bool"),
        (True, TypeError, r"`action` to be a \(1, 1\) int64 tensor or an int, got True"),
        (1.0, TypeError, r"`action` to be a \(1, 1\) int64 tensor or an int, got 1.0"),
        ("left", TypeError, r"`action` to be a \(1, 1\) int64 tensor or an int, got 'left'"),
    ],
    ids=[
        "too-large",
        "negative",
        "two-actions",
        "float",
        "bool-tensor",
        "bool",
        "float-number",
        "str",
    ],
)
def test_step_rejects_bad_actions(action, error, message):
    env = TorchEnv(gym.make("CartPole-v1"))
    env.reset(seed=0)
    with pytest.raises(error, match=message):
        env.step(action)


@pytest.mark.parametrize(
    ("env", "error", "message"),
    [
        (
            "CartPole-v1",
            TypeError,
            r"`env` to be a gymnasium.Env \(not yet a TorchEnv\), got 'CartPole-v1'",
        ),
        (
            TorchEnv(gym.make("CartPole-v1")),
            TypeError,
            r"`env` to be a gymnasium.Env \(not yet a TorchEnv\)",
        ),
        (
            DummyEnv(gym.spaces.Discrete(16), gym.spaces.Discrete(4)),
            TypeError,
            r"`env.observation_space` to be a gymnasium.spaces.Box, got Discrete\(16\)",
        ),
        (
            DummyEnv(gym.spaces.Box(0, 1, (2, 3)), gym.spaces.Discrete(4)),
            ValueError,
            r"`env.observation_space` to be 1-D .* got shape \(2, 3\)",
        ),
        (
            DummyEnv(gym.spaces.Box(-1, 1, (3,)), gym.spaces.Box(-2, 2, (1,))),
            TypeError,
            r"`env.action_space` to be a gymnasium.spaces.Discrete, got Box",
        ),
    ],
    ids=[
        "a-name",
        "already-wrapped",
        "discrete-observations",
        "image-observations",
        "continuous-actions",
    ],
)
def test_wrapper_rejects_environments_it_cannot_handle(env, error, message):
    with pytest.raises(error, match=message):
        TorchEnv(env)


def test_device_must_name_a_device():
    with pytest.raises(ValueError, match="`device`"):
        TorchEnv(gym.make("CartPole-v1"), device="no-such-device")


def test_discrete_space_with_a_start_is_respected():
    env = TorchEnv(
        DummyEnv(gym.spaces.Box(-1, 1, (3,)), gym.spaces.Discrete(3, start=-1)),
        allow_no_time_limit=True,
    )
    env.reset(seed=0)
    env.step(-1)
    with pytest.raises(ValueError, match=r"an int from -1 to 1\), got 2"):
        env.step(2)


@pytest.mark.parametrize(
    "device",
    [
        "cpu",
        pytest.param(
            "cuda",
            marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU"),
        ),
    ],
)
def test_tensors_are_returned_on_the_requested_device(device):
    env = TorchEnv(gym.make("CartPole-v1"), device=device)
    state, _ = env.reset(seed=0)
    next_state, reward, terminated, truncated, _ = env.step(1)
    for tensor, dtype in [
        (state, torch.float32),
        (next_state, torch.float32),
        (reward, torch.float32),
        (terminated, torch.bool),
        (truncated, torch.bool),
    ]:
        assert tensor.device.type == device and tensor.dtype == dtype


# --- issue 27: bad input fails at once, with the argument named ------------------------------


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_a_device_this_machine_lacks_is_refused_up_front():
    with pytest.raises(ValueError, match=r"`device` to be a device this machine has, got 'cuda'"):
        TorchEnv(gym.make("CartPole-v1"), device="cuda")


def test_the_meta_device_is_refused_up_front():
    with pytest.raises(ValueError, match=r"`device` to be a device that stores data, got 'meta'"):
        TorchEnv(gym.make("CartPole-v1"), device="meta")


def test_an_environment_without_a_time_limit_is_refused_unless_allowed():
    endless = DummyEnv(gym.spaces.Box(-1, 1, (3,)), gym.spaces.Discrete(2))
    with pytest.raises(ValueError, match=r"`env` to have a time limit.*allow_no_time_limit=True"):
        TorchEnv(endless)
    with pytest.raises(ValueError, match="`env` to have a time limit"):
        TorchEnv(gym.make("CartPole-v1").unwrapped)  # the spec stays, the TimeLimit is gone
    assert TorchEnv(endless, allow_no_time_limit=True).unwrapped is endless
    limited = TorchEnv(gym.wrappers.TimeLimit(endless, max_episode_steps=7))
    assert limited.reset(seed=0)[0].shape == (1, 3)
    with pytest.raises(TypeError, match="`allow_no_time_limit` to be True or False"):
        TorchEnv(endless, allow_no_time_limit="yes")


class Spoiled(gym.Wrapper):
    """An environment that turns its reward or its state into nan or inf at step 2."""

    def __init__(self, env, field, value):
        super().__init__(env)
        self.field, self.value, self.t = field, value, 0

    def step(self, action):
        state, reward, terminated, truncated, info = self.env.step(action)
        self.t += 1
        if self.t == 2 and self.field == "reward":
            reward = self.value
        elif self.t == 2:
            state = state.copy()
            state[1] = self.value
        return state, reward, terminated, truncated, info


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("field", ["reward", "state"])
def test_a_non_finite_reward_or_state_fails_at_the_step_that_made_it(field, value):
    env = TorchEnv(Spoiled(gym.make("CartPole-v1"), field, value))
    env.reset(seed=0)
    env.step(0)  # step 1 is fine
    with pytest.raises(ValueError, match=rf"returned a {field}.* at step 2 of the episode"):
        env.step(0)


def test_rendering_to_arrays_chooses_the_display_less_driver_if_none_was(monkeypatch):
    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    env = TorchEnv(gym.make("CartPole-v1", render_mode="rgb_array"))
    env.reset(seed=0)
    assert env.render().shape == (400, 600, 3)
    assert os.environ["SDL_VIDEODRIVER"] == "dummy"
    monkeypatch.setenv("SDL_VIDEODRIVER", "offscreen")  # a driver the caller chose is kept
    env.render()
    assert os.environ["SDL_VIDEODRIVER"] == "offscreen"
    env.close()


# What 03 and 04 do before any course_utils function: import it, then render a plain env.
RENDER = """
import course_utils, gymnasium as gym, os
env = gym.make("CartPole-v1", render_mode="rgb_array")
env.reset(seed=0)
print(env.render().shape, os.environ.get("SDL_VIDEODRIVER"))
"""


@pytest.mark.parametrize("screen", [None, ":0"], ids=["no-screen", "screen"])
def test_no_sdl_error_on_a_machine_without_a_screen(tmp_path, screen):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SDL_VIDEODRIVER", "XDG_RUNTIME_DIR", "DISPLAY", "WAYLAND_DISPLAY")
    }
    if screen:  # a screen that is not there: only the variable matters to course_utils
        env["DISPLAY"] = screen
        code = RENDER.replace("env.reset(seed=0)\nprint(env.render().shape", "print((0,)")
    else:
        code = RENDER
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    if screen:
        assert done.stdout.split()[-1] == "None", "a machine with a screen keeps SDL's choice"
    else:
        assert done.stdout.split() == ["(400,", "600,", "3)", "dummy"]
        assert "XDG_RUNTIME_DIR" not in done.stderr, done.stderr
