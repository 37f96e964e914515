"""The reference: Stable-Baselines3's DQN with rl-baselines3-zoo's tuned hyperparameters.

Two ways to run it, two rows of the report:

- as the zoo runs it: train for the zoo's ``n_timesteps`` and keep the last iterate;
- with the course's protocol (``protocol=True``): the same training, plus the notebook's greedy
  checks during training (:class:`CourseProtocol`, a ``BaseCallback`` around the notebooks' own
  :class:`course_utils.GreedyChecks`): same cadence, same number of episodes, same check seeds,
  all episodes of a check at once; the best check's weights are kept and training stops once a
  check passes. The checks count in the training time, as they do in the notebooks,
  and their environment steps and wall time are reported apart from the training's.

Each run trains in its own Python process (``python -m benchmarks.reference``), so that its
peak memory is its own, like a notebook kernel's. It is evaluated like the notebooks, with
:func:`course_utils.evaluate`: greedy actions (``deterministic=True``), episode i reset with
``seed + i``, 100 episodes at once. Stable-Baselines3 is a benchmark-only dependency: this module
imports it only inside the functions that need it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from benchmarks.course import bench_env, peak_rss_kib
from benchmarks.tasks import EVAL_EPISODES, EVAL_SEED_OFFSET, REPO_ROOT, TASKS, CheckProtocol
from course_utils import GreedyChecks, evaluate

# rl-baselines3-zoo, hyperparams/dqn.yml at commit ce95481b041fe5314c1b2f1a53940d169b9253fc
# (https://github.com/DLR-RM/rl-baselines3-zoo/blob/ce95481b041fe5314c1b2f1a53940d169b9253fc/
# hyperparams/dqn.yml; the same values as hyperparams/python/dqn.py for the seals variants).
# CartPole-v1 is marked "Almost Tuned" there, MountainCar-v0 "Tuned".
ZOO_HYPERPARAMS: dict[str, dict[str, Any]] = {
    "CartPole-v1": {
        "n_timesteps": 50_000,
        "policy": "MlpPolicy",
        "learning_rate": 2.3e-3,
        "batch_size": 64,
        "buffer_size": 100_000,
        "learning_starts": 1000,
        "gamma": 0.99,
        "target_update_interval": 10,
        "train_freq": 256,
        "gradient_steps": 128,
        "exploration_fraction": 0.16,
        "exploration_final_eps": 0.04,
        "policy_kwargs": {"net_arch": [256, 256]},
    },
    "MountainCar-v0": {
        "n_timesteps": 120_000,
        "policy": "MlpPolicy",
        "learning_rate": 4e-3,
        "batch_size": 128,
        "buffer_size": 10_000,
        "learning_starts": 1000,
        "gamma": 0.98,
        "target_update_interval": 600,
        "train_freq": 16,
        "gradient_steps": 8,
        "exploration_fraction": 0.2,
        "exploration_final_eps": 0.07,
        "policy_kwargs": {"net_arch": [256, 256]},
    },
}

# For the test only: enough to exercise every code path, far too little to learn anything.
TINY_OVERRIDES: dict[str, Any] = {"n_timesteps": 512, "learning_starts": 100}
TINY_EVAL_EPISODES = 5


def hyperparameters(env_id: str, tiny: bool = False) -> dict[str, Any]:
    """The zoo's hyperparameters for `env_id`, shrunk to a tiny budget when `tiny`."""
    params = dict(ZOO_HYPERPARAMS[env_id])
    if tiny:
        params.update(TINY_OVERRIDES)
    return params


def greedy(model: Any) -> Callable[[Any], Any]:
    """`model`'s greedy policy on a batch of observations: the argmax of its Q-network.

    The same action as ``model.predict(obs, deterministic=True)``, without the per-call
    overhead of SB3's predict (input checks, NumPy round trips), one forward pass for a batch.
    """
    q_net = model.q_net
    return lambda obs_b: q_net(obs_b).argmax(dim=1, keepdim=True)


def evaluate_greedy(model: Any, env_id: str, seed: int, n_episodes: int) -> np.ndarray:
    """Undiscounted returns of `model`'s greedy policy; episode i is reset with ``seed + i``.

    The notebooks' evaluation, :func:`course_utils.evaluate`: all episodes at once.
    """
    return evaluate(env_id, greedy(model), episodes=n_episodes, seed=seed, device=model.device)


def course_protocol_callback(protocol: CheckProtocol, env_id: str, seed: int) -> Any:
    """A :class:`CourseProtocol` callback (the class is built here: SB3 is imported lazily)."""
    from stable_baselines3.common.callbacks import BaseCallback

    class CourseProtocol(BaseCallback):
        """The notebook's greedy checks inside ``model.learn``: keep the best, stop on a pass.

        Mirrors the notebooks' training loops: a check is due after a step (periodic) or
        after a finished training episode (triggered by its return); it is the notebooks'
        :class:`course_utils.GreedyChecks` (the same episodes, seeds, keep-best and stop) on
        SB3's Q-network. When training ends the Q-network holds the best weights (the last
        iterate when no check ran).
        """

        def __init__(self) -> None:
            super().__init__(verbose=0)
            self.checks = GreedyChecks(
                env_id, episodes=protocol.episodes, seed=seed, stop_at=protocol.stop_at
            )
            self.passed = False

        @property
        def best_weights(self) -> dict | None:
            """The Q-network's weights at the best check so far (None before any check)."""
            return self.checks.best_weights

        def _on_step(self) -> bool:
            due = protocol.due_after_step(self.num_timesteps)
            if protocol.after_return is not None:
                for done, info in zip(self.locals["dones"], self.locals["infos"], strict=True):
                    if done and "episode" in info:  # Monitor's record of the finished episode
                        due = due or protocol.due_after_episode(float(info["episode"]["r"]))
            return self.check() if due else True

        def check(self) -> bool:
            """Run one greedy check; False when it passes (SB3 then stops training)."""
            self.passed = self.checks.check(self.model.q_net)
            return not self.passed

        def _on_training_end(self) -> None:
            self.checks.load_best(self.model.q_net)
            self.checks.envs.close()

        def summary(self) -> dict[str, Any]:
            """What the checks did, for the results."""
            checks = self.checks
            return {
                "checks": checks.done,
                "check_steps": checks.steps,
                "check_seconds": checks.seconds,
                "check_returns": checks.means,
                "best_check": checks.best if checks.done else None,
                "stopped_early": self.passed,
            }

    return CourseProtocol()


def train_and_evaluate(
    task_name: str,
    seed: int,
    tiny: bool = False,
    protocol: bool = False,
    check_protocol: CheckProtocol | None = None,
) -> dict[str, Any]:
    """Train SB3's DQN on the task with the zoo's hyperparameters, then evaluate it greedily.

    With `protocol`, the notebook's greedy checks run during training (`check_protocol`, by
    default the task's, shrunk when `tiny`), the best check's weights are the ones evaluated
    and training stops once a check passes. Returns the same keys as
    benchmarks.course.run_course, plus the hyperparameters and the checks' summary.
    """
    import torch
    from stable_baselines3 import DQN
    from stable_baselines3.common.monitor import Monitor

    torch.set_num_threads(1)  # like the notebooks
    env_id = TASKS[task_name].env_id
    params = hyperparameters(env_id, tiny)
    kwargs = {k: v for k, v in params.items() if k not in ("n_timesteps", "policy")}
    start = time.perf_counter()
    env = Monitor(gym.make(env_id))
    model = DQN(params["policy"], env, seed=seed, device="cpu", verbose=0, **kwargs)
    callback = None
    if protocol:
        if check_protocol is None:
            check_protocol = TASKS[task_name].protocol
            if check_protocol is None:
                raise ValueError(f"the {task_name} notebook defines no greedy-check protocol")
            if tiny:
                check_protocol = check_protocol.tiny()
        callback = course_protocol_callback(check_protocol, env_id, seed)
    learn_start = time.perf_counter()
    model.learn(total_timesteps=int(params["n_timesteps"]), callback=callback)
    training_seconds = time.perf_counter() - learn_start  # the checks included
    episodes = TINY_EVAL_EPISODES if tiny else EVAL_EPISODES
    eval_start = time.perf_counter()
    eval_returns = evaluate_greedy(model, env_id, EVAL_SEED_OFFSET + seed, episodes)
    eval_seconds = time.perf_counter() - eval_start
    curve_steps = np.cumsum(env.get_episode_lengths()).astype(int).tolist()
    curve_returns = [float(r) for r in env.get_episode_rewards()]
    env.close()
    no_checks = {"checks": 0, "check_steps": 0, "check_seconds": 0.0}
    checks = no_checks if callback is None else callback.summary()
    return checks | {
        "eval_returns": eval_returns.tolist(),
        "eval_seconds": eval_seconds,
        "training_seconds": training_seconds,
        "total_steps": int(model.num_timesteps),
        "curve": {"steps": curve_steps, "returns": curve_returns},
        "torch_threads": torch.get_num_threads(),
        "peak_rss_kib": peak_rss_kib(),
        "wall_seconds": time.perf_counter() - start,
        "hyperparameters": params,
    }


def run_reference(
    task_name: str,
    seed: int,
    tiny: bool = False,
    timeout: float | None = None,
    protocol: bool = False,
) -> dict[str, Any]:
    """`train_and_evaluate` in a fresh Python process (headless, one thread); its result."""
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "result.json"
        command = [sys.executable, "-m", "benchmarks.reference", task_name, str(seed)]
        command += ["--output", str(output)] + (["--tiny"] if tiny else [])
        command += ["--protocol"] if protocol else []
        completed = subprocess.run(
            command, cwd=REPO_ROOT, env=bench_env(), timeout=timeout, capture_output=True, text=True
        )
        if completed.returncode != 0:
            raise RuntimeError(
                f"reference run failed ({completed.returncode}): {completed.stderr[-2000:]}"
            )
        return json.loads(output.read_text())


def main(argv: list[str] | None = None) -> int:
    """CLI of one reference run: train, evaluate, write the result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument("seed", type=int)
    parser.add_argument("--tiny", action="store_true", help="tiny budget, for the test only")
    parser.add_argument(
        "--protocol",
        action="store_true",
        help="with the notebook's greedy checks (keep best, stop)",
    )
    parser.add_argument("--output", type=Path, help="JSON file to write (default: stdout)")
    args = parser.parse_args(argv)
    text = json.dumps(train_and_evaluate(args.task, args.seed, args.tiny, args.protocol))
    if args.output is None:
        print(text)
    else:
        args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
