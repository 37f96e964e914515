"""course_utils.device: the CPU unless a notebook prefers the GPU; forward_seconds measures why."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_utils import device, forward_seconds


def test_the_cpu_by_default_the_gpu_only_where_preferred_and_present():
    assert device() == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert device(prefer_gpu=True).type == expected
    with pytest.raises(TypeError, match=r"`prefer_gpu` to be True or False, got 'yes'"):
        device("yes")


def test_forward_seconds_times_one_pass():
    network = nn.Sequential(nn.Linear(4, 128), nn.ReLU(), nn.Linear(128, 2))
    one = forward_seconds(network, torch.zeros(1, 4), repeats=20)
    many = forward_seconds(network, torch.zeros(4_096, 4), repeats=5)
    assert 0 < one < 0.1 and many > 0
    assert torch.is_grad_enabled()
    with pytest.raises(TypeError, match=r"`network` to be a torch.nn.Module"):
        forward_seconds(lambda x: x, torch.zeros(1, 4))
    with pytest.raises(TypeError, match=r"`state_b` to be a tensor"):
        forward_seconds(network, [[0.0] * 4])
    with pytest.raises(ValueError, match=r"`repeats` to be a positive int, got 0"):
        forward_seconds(network, torch.zeros(1, 4), repeats=0)
