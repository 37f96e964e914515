"""Feasibility of notebook 06's ablation on Acrobot-v1: one DQN run, one thread.

Usage: taskset -c 0 python notebooks/drafts/measure_acrobot.py SEED STEPS TRAIN_EVERY
Prints CPU and wall time and the greedy return over 10 held-out seeds.
"""

import sys
import time

import gymnasium as gym
import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)
seed, steps, train_every = (int(a) for a in sys.argv[1:4])
env = gym.make("Acrobot-v1")
torch.manual_seed(seed)
rng = np.random.default_rng(seed)


def make():
    return nn.Sequential(
        nn.Linear(6, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3)
    )


q, qt = make(), make()
qt.load_state_dict(q.state_dict())
opt = torch.optim.Adam(q.parameters(), lr=1e-3)
S, S2 = torch.zeros(steps, 6), torch.zeros(steps, 6)
A = torch.zeros(steps, 1, dtype=torch.int64)
R, D = torch.zeros(steps, 1), torch.zeros(steps, 1)
o, _ = env.reset(seed=seed)
w0, c0 = time.perf_counter(), time.process_time()
for t in range(steps):
    eps = max(0.05, 1 - t / (0.3 * steps))
    s = torch.as_tensor(o, dtype=torch.float32)
    if rng.random() < eps:
        a = int(rng.integers(3))
    else:
        with torch.no_grad():
            a = int(q(s).argmax())
    o, r, term, trunc, _ = env.step(a)
    S[t], S2[t], A[t], R[t], D[t] = s, torch.as_tensor(o), a, r, float(term)
    if term or trunc:
        o, _ = env.reset()
    if t >= 500 and t % train_every == 0:
        i = torch.as_tensor(rng.integers(t + 1, size=64))
        with torch.no_grad():
            y = R[i] + 0.99 * (1 - D[i]) * qt(S2[i]).max(1, keepdim=True).values
        loss = nn.functional.smooth_l1_loss(q(S[i]).gather(1, A[i]), y)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(q.parameters(), 10)
        opt.step()
    if t % 500 == 0:
        qt.load_state_dict(q.state_dict())
train = time.perf_counter() - w0, time.process_time() - c0
scores = []
e = gym.make("Acrobot-v1")
for s in range(1000, 1010):
    o, _ = e.reset(seed=s)
    total, done = 0.0, False
    while not done:
        with torch.no_grad():
            o, r, te, tr, _ = e.step(int(q(torch.as_tensor(o, dtype=torch.float32)).argmax()))
        total += r
        done = te or tr
    scores.append(total)
print(
    f"Acrobot seed {seed}, {steps} steps, train every {train_every}: {train[0]:.1f} s wall / "
    f"{train[1]:.1f} s cpu, greedy {np.mean(scores):.1f} (eval {time.perf_counter() - w0 - train[0]:.1f} s)"
)
