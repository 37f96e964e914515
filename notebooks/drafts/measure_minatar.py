"""Feasibility of notebook 06's pixel section: a small conv DQN on MinAtar games, one core.

Usage: taskset -c 0 python notebooks/drafts/measure_minatar.py GAME STEPS [LR] [TRAIN_EVERY]
Prints the random policy's and the trained greedy policy's mean score over 10 held-out seeds.
"""

import sys
import time

import gymnasium as gym
import numpy as np
import torch
from minatar.gym import register_envs
from torch import nn

torch.set_num_threads(1)
register_envs()
game, steps = sys.argv[1], int(sys.argv[2])
lr = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-3
train_every = int(sys.argv[4]) if len(sys.argv) > 4 else 4
env = gym.make(f"MinAtar/{game}-v1")
H, W, C = env.observation_space.shape
A = env.action_space.n


def obs(o):
    return torch.as_tensor(o, dtype=torch.float32).permute(2, 0, 1).unsqueeze(0)


def make():
    return nn.Sequential(
        nn.Conv2d(C, 16, 3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(16 * (H - 2) * (W - 2), 128),
        nn.ReLU(),
        nn.Linear(128, A),
    )


def score(policy, seeds, cap=5000):
    e = gym.make(f"MinAtar/{game}-v1")
    out = []
    for s in seeds:
        o, _ = e.reset(seed=s)
        e.action_space.seed(s)
        total, t = 0.0, 0
        while True:
            o, r, term, trunc, _ = e.step(policy(o))
            total += r
            t += 1
            if term or trunc or t >= cap:
                break
        out.append(total)
    return float(np.mean(out))


held = list(range(1000, 1010))
rng_pol = np.random.default_rng(0)
t0 = time.perf_counter()
rand = score(lambda o: int(rng_pol.integers(A)), held)
print(f"{game}: random {rand:.2f} ({time.perf_counter() - t0:.1f} s)", flush=True)

torch.manual_seed(0)
rng = np.random.default_rng(0)
q, qt = make(), make()
qt.load_state_dict(q.state_dict())
opt = torch.optim.Adam(q.parameters(), lr=lr)
cap = min(steps, 100_000)
S = torch.zeros(cap, C, H, W)
S2 = torch.zeros(cap, C, H, W)
Aa = torch.zeros(cap, 1, dtype=torch.int64)
R = torch.zeros(cap, 1)
D = torch.zeros(cap, 1)
pos = n = 0
warm = 1000
eps_end = 0.1
eps_steps = steps // 2
o, _ = env.reset(seed=0)
s = obs(o)
ep_ret, rets = 0.0, []
t0 = time.perf_counter()
c0 = time.process_time()
for t in range(steps):
    eps = max(eps_end, 1 - (1 - eps_end) * t / eps_steps)
    if rng.random() < eps:
        a = int(rng.integers(A))
    else:
        with torch.no_grad():
            a = int(q(s).argmax())
    o, r, term, trunc, _ = env.step(a)
    s2 = obs(o)
    ep_ret += r
    S[pos] = s
    S2[pos] = s2
    Aa[pos] = a
    R[pos] = r
    D[pos] = float(term)
    pos = (pos + 1) % cap
    n = min(n + 1, cap)
    s = s2
    if term or trunc:
        rets.append(ep_ret)
        ep_ret = 0.0
        o, _ = env.reset()
        s = obs(o)
    if t >= warm and t % train_every == 0:
        i = torch.as_tensor(rng.integers(n, size=32))
        with torch.no_grad():
            y = R[i] + 0.99 * (1 - D[i]) * qt(S2[i]).max(1, keepdim=True).values
        loss = nn.functional.smooth_l1_loss(q(S[i]).gather(1, Aa[i]), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    if t % 1000 == 0:
        qt.load_state_dict(q.state_dict())
    if (t + 1) % 10000 == 0:
        print(
            f"  step {t + 1}: {time.perf_counter() - t0:.1f} s wall, {time.process_time() - c0:.1f} s cpu, last 20 episodes {np.mean(rets[-20:]) if rets else float('nan'):.2f}",
            flush=True,
        )
train_s = time.perf_counter() - t0
train_cpu = time.process_time() - c0
t0 = time.perf_counter()
with torch.no_grad():
    greedy = score(lambda o: int(q(obs(o)).argmax()), held)
print(
    f"{game}: steps {steps}, train {train_s:.1f} s wall / {train_cpu:.1f} s cpu, greedy {greedy:.2f} vs random {rand:.2f} (eval {time.perf_counter() - t0:.1f} s)",
    flush=True,
)
