"""AcrobotVectorEnv and MountainCarVectorEnv: every sub-environment follows its own gym.make, bit for bit."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.envs.classic_control.acrobot import AcrobotEnv, rk4
from gymnasium.vector import AutoresetMode
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import AcrobotVectorEnv, vector_envs
from course_utils.vector_envs import MountainCarVectorEnv


def swing(observation: np.ndarray, rng: np.random.Generator, step: int) -> np.ndarray:
    """In the even sub-environments, push along the velocity (Acrobot: its lower link's, the last
    column; MountainCar: the car's) on odd steps: that pumps energy in, and episodes reach the
    goal. Elsewhere random actions: episodes that run into the time limit."""
    action = rng.integers(0, 3, len(observation))
    if step % 2:
        action[::2] = np.where(observation[::2, -1] > 0, 2, 0)
    return action


@pytest.mark.parametrize(
    ("vector_env", "env_id", "max_episode_steps"),
    [
        (AcrobotVectorEnv, "Acrobot-v1", 500),
        (AcrobotVectorEnv, "Acrobot-v1", 150),
        (MountainCarVectorEnv, "MountainCar-v0", 200),
        (MountainCarVectorEnv, "MountainCar-v0", 300),
    ],
)
def test_every_sub_environment_follows_its_own_gymnasium_environment(
    vector_env, env_id, max_episode_steps
):
    num_envs, seeds = 24, [100 + 3 * i for i in range(24)]
    envs = vector_env(num_envs, max_episode_steps=max_episode_steps)
    singles = [gym.make(env_id, max_episode_steps=max_episode_steps) for _ in seeds]
    observation, _ = envs.reset(seed=seeds)
    expected = np.stack([env.reset(seed=seed)[0] for env, seed in zip(singles, seeds, strict=True)])
    assert observation.dtype == np.float32 and np.array_equal(observation, expected)
    rng, ended = np.random.default_rng(0), {"terminated": 0, "truncated": 0}
    for step in range(3_000):
        action = swing(observation, rng, step)
        observation, reward, terminated, truncated, info = envs.step(action)
        final = info.get("_final_obs", np.zeros(num_envs, dtype=bool))
        for i, env in enumerate(singles):
            single = env.step(int(action[i]))
            last = info["final_obs"][i] if final[i] else observation[i]
            assert np.array_equal(last, single[0]), (step, i)
            assert (reward[i], terminated[i], truncated[i]) == single[1:4], (step, i)
            if single[2] or single[3]:  # same-step autoreset: the next episode's start, from
                ended["terminated" if single[2] else "truncated"] += 1  # the env's own generator
                assert np.array_equal(observation[i], env.reset()[0]), (step, i)
    assert min(ended.values()) > 20, ended  # both ways an episode ends, many times


@pytest.mark.parametrize(
    ("vector_env", "env_id"),
    [(AcrobotVectorEnv, "Acrobot-v1"), (MountainCarVectorEnv, "MountainCar-v0")],
)
def test_reset_observations_match_for_thousands_of_seeds(vector_env, env_id):
    # AcrobotEnv's first observation takes cos and sin of float32 angles: in float64 about
    # 1 in 10,000 of them would differ from gymnasium's in the last bit
    envs = vector_env(5_000)
    observation, _ = envs.reset(seed=7)  # an int seeds the sub-environments 7, 8, ...
    env = gym.make(env_id)
    expected = np.stack([env.reset(seed=7 + i)[0] for i in range(5_000)])
    assert np.array_equal(observation, expected)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(-np.pi, np.pi), min_size=2, max_size=2),
    st.floats(-4 * np.pi, 4 * np.pi),
    st.floats(-9 * np.pi, 9 * np.pi),
    st.sampled_from([0, 1, 2]),
)
def test_one_runge_kutta_step_equals_gymnasiums(angles, velocity_1, velocity_2, action):
    state = np.array([*angles, velocity_1, velocity_2])
    env = AcrobotEnv()
    expected = rk4(env._dsdt, np.append(state, env.AVAIL_TORQUE[action]), [0, env.dt])
    torque = np.array([float(env.AVAIL_TORQUE[action])])
    assert np.array_equal(vector_envs._rk4(state[None], torque)[0], expected)


def test_same_step_autoreset_reports_the_last_observation_in_info():
    envs = AcrobotVectorEnv(3, max_episode_steps=2)
    assert envs.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    envs.reset(seed=0)
    _, _, _, truncated, info = envs.step(np.array([0, 1, 2]))
    assert not truncated.any() and info == {}
    observation, _, _, truncated, info = envs.step(np.array([0, 1, 2]))
    assert truncated.all() and info["_final_obs"].all()
    assert all(final.shape == (6,) and final.dtype == np.float32 for final in info["final_obs"])
    assert not any(
        np.array_equal(final, new)
        for final, new in zip(info["final_obs"], observation, strict=True)
    )


def test_bad_arguments_get_errors_that_name_them():
    with pytest.raises(ValueError, match="num_envs"):
        AcrobotVectorEnv(0)
    with pytest.raises(ValueError, match="max_episode_steps"):
        AcrobotVectorEnv(2, max_episode_steps=0)
    envs = AcrobotVectorEnv(2)
    with pytest.raises(RuntimeError, match="reset"):
        envs.step(np.array([0, 0]))
    with pytest.raises(ValueError, match="`seed`.*2, got 3"):
        envs.reset(seed=[1, 2, 3])
    with pytest.raises(ValueError, match="options"):
        envs.reset(seed=0, options={"low": -1})
    envs.reset()  # no seed: fresh generators, as gymnasium's reset() without a seed
    for bad in (np.array([0, 3]), np.array([0]), np.array([0.5, 1.0]), [[0, 1]]):
        with pytest.raises(ValueError, match="`actions`"):
            envs.step(bad)
    with pytest.raises(ValueError, match="MountainCarVectorEnv takes no reset `options`"):
        MountainCarVectorEnv(2).reset(options={"low": -1})
