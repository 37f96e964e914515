"""save_network / load_network: a round trip, and clear errors for bad files."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from course_utils import load_network, save_network


def q_network(hidden: int = 8) -> nn.Module:
    return nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, 2))


@pytest.mark.parametrize("as_string", [False, True])
def test_round_trip_restores_every_weight(tmp_path, as_string):
    torch.manual_seed(0)
    trained = q_network()
    path = tmp_path / "nested" / "folder" / "q_network.pt"
    returned = save_network(trained, str(path) if as_string else path)
    assert returned == path and path.is_file()
    fresh = q_network()
    loaded = load_network(fresh, str(path) if as_string else path, map_location="cpu")
    assert loaded is fresh
    for a, b in zip(trained.state_dict().values(), loaded.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_missing_file_names_the_path(tmp_path):
    path = tmp_path / "nowhere.pt"
    with pytest.raises(FileNotFoundError, match=r"`path` .* no file .*nowhere\.pt"):
        load_network(q_network(), path)


@pytest.mark.parametrize(
    "content",
    [b"", b"not a checkpoint at all", "truncated"],
    ids=["empty", "garbage", "truncated"],
)
def test_corrupt_file_is_a_value_error(tmp_path, content):
    path = tmp_path / "q_network.pt"
    if content == "truncated":
        save_network(q_network(), path)
        content = path.read_bytes()[:100]
    path.write_bytes(content)
    with pytest.raises(
        ValueError, match=r"`path` to hold weights saved by save_network.* not a readable"
    ):
        load_network(q_network(), path)


def test_file_holding_something_else_is_a_value_error(tmp_path):
    path = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), path)
    with pytest.raises(ValueError, match=r"`path` to hold a state_dict, .* holds a Tensor"):
        load_network(q_network(), path)


def test_other_architecture_is_a_value_error(tmp_path):
    path = save_network(q_network(hidden=8), tmp_path / "q_network.pt")
    with pytest.raises(ValueError, match=r"fit `network`.*same architecture"):
        load_network(q_network(hidden=16), path)


@pytest.mark.parametrize("function", [save_network, load_network])
def test_network_must_be_a_module(tmp_path, function):
    with pytest.raises(TypeError, match=r"`network` to be a torch.nn.Module, got dict"):
        function({}, tmp_path / "q_network.pt")


@pytest.mark.parametrize("function", [save_network, load_network])
def test_path_must_be_a_path(function):
    with pytest.raises(TypeError, match=r"`path` to be a str or a pathlib.Path, got 3"):
        function(q_network(), 3)
