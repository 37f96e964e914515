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
        ValueError,
        match=r"`path` to hold weights saved by save_network.* (not a readable|is empty|not written)",
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


# --- issue 27: what a file cannot be loaded as, said plainly ----------------------------------


def test_a_text_file_is_named_as_such(tmp_path):
    path = tmp_path / "notes.pt"
    path.write_text("hello world\n")
    with pytest.raises(ValueError, match=r"starts with b'hello world\\n': it was not written by"):
        load_network(q_network(), path)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
@pytest.mark.parametrize(
    ("map_location", "message"),
    [
        ("cuda", r"`map_location` to be a device this machine has, got 'cuda'"),
        ("meta", r"`map_location` to be a device that stores data"),
        ("nowhere", r"`map_location` to name a torch device, got 'nowhere'"),
    ],
)
def test_an_unavailable_map_location_is_named_not_called_corrupt(tmp_path, map_location, message):
    path = save_network(q_network(), tmp_path / "q_network.pt")
    with pytest.raises(ValueError, match=message):
        load_network(q_network(), path, map_location=map_location)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_weights_saved_on_a_gpu_ask_for_map_location_cpu(tmp_path, monkeypatch):
    path = save_network(q_network(), tmp_path / "q_network.pt")

    def saved_on_a_gpu(*args, **kwargs):  # what torch.load says of CUDA tensors without CUDA
        raise RuntimeError(
            "Attempting to deserialize object on a CUDA device but "
            "torch.cuda.is_available() is False."
        )

    monkeypatch.setattr(torch, "load", saved_on_a_gpu)
    with pytest.raises(ValueError, match=r"saved on a GPU.* pass map_location='cpu'"):
        load_network(q_network(), path)


@pytest.mark.parametrize("dtype", [torch.float64, torch.int64, torch.float16])
def test_weights_of_another_dtype_are_refused_not_cast(tmp_path, dtype):
    path = tmp_path / "q_network.pt"
    torch.save({k: v.to(dtype) for k, v in q_network().state_dict().items()}, path)
    network = q_network()
    before = [p.clone() for p in network.parameters()]
    with pytest.raises(ValueError, match=rf"'0.weight' is {dtype} in the file and torch.float32"):
        load_network(network, path)
    assert all(torch.equal(a, b) for a, b in zip(before, network.parameters(), strict=True))
    if dtype.is_floating_point:  # the same dtype loads (a module cannot be made int64)
        assert load_network(q_network().to(dtype), path) is not None


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused(tmp_path, bad):
    trained = q_network()
    with torch.no_grad():
        trained[2].bias[1] = bad
    path = save_network(trained, tmp_path / "q_network.pt")
    with pytest.raises(ValueError, match=r"'2.bias' holds 1 (nan|inf) of 2 values.*diverged"):
        load_network(q_network(), path)


def test_a_torch_older_than_2_6_refuses_to_load(tmp_path, monkeypatch):
    path = save_network(q_network(), tmp_path / "q_network.pt")
    monkeypatch.setattr(torch, "__version__", "2.5.1+cpu")
    with pytest.raises(RuntimeError, match=r"needs torch 2.6 or later.*CVE-2025-32434"):
        load_network(q_network(), path)


def test_the_package_requires_a_torch_that_loads_safely():
    import tomllib
    from pathlib import Path

    from packaging.requirements import Requirement

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    (torch_requirement,) = [Requirement(d) for d in dependencies if d.startswith("torch")]
    assert not torch_requirement.specifier.contains("2.5.1")
    assert torch_requirement.specifier.contains("2.6.0")
