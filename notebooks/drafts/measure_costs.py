"""Per-step costs for notebook 06's budget: environment steps and DQN updates, one thread.

Usage: taskset -c 0 python notebooks/drafts/measure_costs.py
Reports wall and process-CPU microseconds per call (CPU time is what a quiet core would take).
"""

import time

import gymnasium as gym
import torch
from minatar.gym import register_envs
from torch import nn

torch.set_num_threads(1)
register_envs()


def timed(f, n):
    w, c = time.perf_counter(), time.process_time()
    for _ in range(n):
        f()
    return (time.perf_counter() - w) / n * 1e6, (time.process_time() - c) / n * 1e6


def env_cost(name, n=3000):
    env = gym.make(name)
    env.reset(seed=0)
    env.action_space.seed(0)

    def step():
        _, _, te, tr, _ = env.step(env.action_space.sample())
        if te or tr:
            env.reset()

    return timed(step, n)


def update_cost(net, x, n=300):
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    a = torch.zeros(len(x), 1, dtype=torch.int64)

    def upd():
        with torch.no_grad():
            y = net(x).max(1, keepdim=True).values
        loss = nn.functional.smooth_l1_loss(net(x).gather(1, a), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return timed(upd, n)


for game in ["Breakout", "SpaceInvaders", "Freeway"]:
    name = f"MinAtar/{game}-v1"
    env = gym.make(name)
    c = env.observation_space.shape[2]
    conv = nn.Sequential(
        nn.Conv2d(c, 16, 3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(1024, 128),
        nn.ReLU(),
        nn.Linear(128, env.action_space.n),
    )
    x1 = torch.rand(1, c, 10, 10)
    with torch.no_grad():
        fwd = timed(lambda conv=conv, x1=x1: conv(x1), 1000)
    print(
        f"{game}: env step {env_cost(name)[0]:.0f}/{env_cost(name)[1]:.0f} us, act {fwd[0]:.0f}/{fwd[1]:.0f} us, "
        f"update(32) {update_cost(conv, torch.rand(32, c, 10, 10))[0]:.0f}/{update_cost(conv, torch.rand(32, c, 10, 10))[1]:.0f} us (wall/cpu)",
        flush=True,
    )
for name, d, a in [("Acrobot-v1", 6, 3), ("LunarLander-v3", 8, 4)]:
    mlp = nn.Sequential(nn.Linear(d, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, a))
    e = env_cost(name)
    u = update_cost(mlp, torch.rand(64, d))
    print(
        f"{name}: env step {e[0]:.0f}/{e[1]:.0f} us, update(64) {u[0]:.0f}/{u[1]:.0f} us (wall/cpu)",
        flush=True,
    )
