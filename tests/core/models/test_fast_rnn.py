"""The CPU GRU with a hand-written backward: nn.GRU's outputs, gradients, parameters and state dict, and a real fit."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.func import functional_call

from core.models import create_model, load_model
from core.models.base import EpochFinished
from core.models.fast_rnn import GRU, Workspace, _GRULayer
from core.models.nets import ALSTMNet, RNNNet
from tests.core.research.slices import Slice, dataset_for, tiny_config

SHAPES = [  # layers, batch, steps, inputs, hidden
    (1, 5, 7, 6, 8),
    (2, 4, 9, 6, 16),
    (3, 3, 6, 5, 4),
    (2, 1, 8, 6, 8),
    (2, 6, 1, 6, 8),
]


def _pair(layers: int, inputs: int, hidden: int, seed: int = 0, **kw: float) -> tuple[nn.GRU, GRU]:
    torch.manual_seed(seed)
    reference = nn.GRU(inputs, hidden, layers, batch_first=True, **kw)
    torch.manual_seed(seed)
    fast = GRU(inputs, hidden, layers, batch_first=True, **kw)
    return reference, fast


def _grads(gru: nn.Module, x: torch.Tensor, d_out: torch.Tensor, d_last: torch.Tensor) -> list[torch.Tensor]:
    out, last = gru(x)
    loss = (out * d_out).sum() + (last * d_last).sum()
    return [out.detach(), last.detach(), *torch.autograd.grad(loss, [x, *gru.parameters()])]


@pytest.mark.parametrize(("layers", "batch", "steps", "inputs", "hidden"), SHAPES)
def test_outputs_and_every_gradient_equal_nn_gru(layers: int, batch: int, steps: int, inputs: int, hidden: int) -> None:
    reference, fast = _pair(layers, inputs, hidden)
    # Same seed, same initialisation, same names: nn.GRU's reset_parameters draws the numbers.
    assert list(fast.state_dict()) == list(reference.state_dict())
    for a, b in zip(reference.state_dict().values(), fast.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(batch, steps, inputs, generator=gen, requires_grad=True)
    d_out = torch.randn(batch, steps, hidden, generator=gen)
    d_last = torch.randn(layers, batch, hidden, generator=gen)
    expected, got = _grads(reference, x, d_out, d_last), _grads(fast, x, d_out, d_last)
    assert got[0].shape == (batch, steps, hidden) and got[1].shape == (layers, batch, hidden)
    for want, have in zip(expected, got, strict=True):
        assert have.shape == want.shape
        torch.testing.assert_close(have, want, rtol=1e-4, atol=2e-5)


def test_gradcheck_in_float64() -> None:
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(4, 3, 3, dtype=torch.float64, generator=gen, requires_grad=True)  # time-major (T, B, I)
    w_ih, w_hh = (torch.randn(9, n, dtype=torch.float64, generator=gen, requires_grad=True) for n in (3, 3))
    b_ih, b_hh = (torch.randn(9, dtype=torch.float64, generator=gen, requires_grad=True) for _ in range(2))
    layer = lambda *a: _GRULayer.apply(*a, Workspace(), True)  # noqa: E731
    assert torch.autograd.gradcheck(layer, (x, w_ih, w_hh, b_ih, b_hh))
    # The whole two-layer module too, through its registered parameters.
    gru = GRU(3, 3, 2, batch_first=True).double()
    names = [n for n, _ in gru.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_() for p in gru.parameters())
    xb = torch.randn(2, 5, 3, dtype=torch.float64, generator=gen, requires_grad=True)
    run = lambda xx, *ps: functional_call(gru, dict(zip(names, ps, strict=True)), (xx,))[0]  # noqa: E731
    assert torch.autograd.gradcheck(run, (xb, *params))


def test_dropout_between_layers_only_in_training() -> None:
    _, fast = _pair(2, 6, 8, dropout=0.5)
    x = torch.randn(4, 7, 6)
    torch.manual_seed(5)
    out, _ = fast.train()(x)
    # By hand: layer 0, dropout on its (time-major) output drawn from the same seed, then layer 1.
    first, second = nn.GRU(6, 8, batch_first=True), nn.GRU(8, 8, batch_first=True)
    for k, layer in enumerate((first, second)):
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(layer, f"{name}_l0").data.copy_(getattr(fast, f"{name}_l{k}"))
    torch.manual_seed(5)
    dropped = nn.functional.dropout(first(x)[0].transpose(0, 1).contiguous(), 0.5, training=True)
    torch.testing.assert_close(out, second(dropped.transpose(0, 1))[0], rtol=1e-4, atol=2e-5)
    assert (dropped == 0).any()
    with torch.no_grad():
        evaluated = fast.eval()(x)[0]
        torch.testing.assert_close(evaluated, fast(x)[0])  # eval is deterministic: no dropout
        reference = nn.GRU(6, 8, 2, batch_first=True, dropout=0.5).eval()
        reference.load_state_dict(fast.state_dict())
        torch.testing.assert_close(evaluated, reference(x)[0], rtol=1e-4, atol=2e-5)
    assert not torch.allclose(out, evaluated)


def test_no_grad_float64_autocast_and_initial_state_give_nn_grus_results() -> None:
    reference, fast = _pair(2, 6, 8)
    x, h0 = torch.randn(3, 5, 6), torch.randn(2, 3, 8)
    with torch.no_grad():
        torch.testing.assert_close(fast(x)[0], reference(x)[0], rtol=1e-4, atol=2e-5)
        torch.testing.assert_close(fast(x, h0)[0], reference(x, h0)[0])  # an initial state: nn.GRU's own path
        with torch.autocast("cpu", dtype=torch.bfloat16):  # bf16 autocast: nn.GRU's own path too
            torch.testing.assert_close(fast(x)[0], reference(x)[0])
        wide = fast.double()(x.double())[0]
        assert wide.dtype == torch.float64
        torch.testing.assert_close(wide, reference.double()(x.double())[0], rtol=1e-10, atol=1e-12)
    with pytest.raises(RuntimeError, match="sequence length"):
        fast(torch.zeros(3, 0, 6, dtype=torch.float64))  # nn.GRU's own message for an empty sequence


def test_interleaved_graphs_and_a_retained_graph_keep_their_gradients() -> None:
    reference, fast = _pair(2, 6, 8)
    xs = [torch.randn(4, 6, 6) for _ in range(3)]

    def grads(gru: nn.Module) -> list[torch.Tensor]:
        gru.zero_grad()
        first, second = gru(xs[0])[0].square().sum(), gru(xs[1])[0].sin().sum()
        first.backward()  # gives its scratch back; the next forward takes it while `second` is pending
        third = gru(xs[2])[0].cos().sum()
        second.backward(retain_graph=True)
        second.backward()  # the retained graph still reads its own buffers
        third.backward()
        return [p.grad.clone() for p in gru.parameters()]  # type: ignore[union-attr]

    for want, have in zip(grads(reference), grads(fast), strict=True):
        torch.testing.assert_close(have, want, rtol=1e-4, atol=2e-5)


def test_threads_sharing_one_net_get_their_own_gradients() -> None:
    reference, fast = _pair(2, 6, 8)
    xs = [torch.randn(16, 10, 6) for _ in range(4)]
    expected = [torch.autograd.grad(reference(x)[0].sum(), list(reference.parameters())) for x in xs]
    results: dict[int, tuple[torch.Tensor, ...]] = {}
    start = threading.Barrier(len(xs))

    def work(i: int) -> None:
        start.wait()
        for _ in range(3):
            results[i] = torch.autograd.grad(fast(xs[i])[0].sum(), list(fast.parameters()))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, want in enumerate(expected):
        for a, b in zip(results[i], want, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=2e-5)


def test_state_dict_loads_either_way_with_an_nn_gru_net() -> None:
    torch.manual_seed(3)
    ours = RNNNet(6, hidden_size=8, num_layers=2)
    assert isinstance(ours.rnn, GRU) and isinstance(ALSTMNet(6, hidden_size=8).rnn, GRU)
    torch.manual_seed(3)
    before = RNNNet(6, hidden_size=8, num_layers=2)
    before.rnn = nn.GRU(6, 8, 2, batch_first=True)  # the network as saved before this GRU existed
    torch.manual_seed(3)
    before.rnn.reset_parameters()
    x = torch.randn(5, 7, 6)
    for a, b in zip(ours.state_dict().items(), before.state_dict().items(), strict=True):
        assert a[0] == b[0] and torch.equal(a[1], b[1])  # same keys (rnn.weight_ih_l0 …), same seeded values
    with torch.no_grad():
        trained = {k: v + 0.01 * torch.randn_like(v) for k, v in before.state_dict().items()}
        before.load_state_dict(trained)
        ours.load_state_dict(before.state_dict())
        torch.testing.assert_close(ours(x), before(x), rtol=1e-4, atol=2e-5)
        before.load_state_dict(ours.state_dict())
        torch.testing.assert_close(before(x), ours(x), rtol=1e-4, atol=2e-5)


def test_a_two_layer_qdesk_gru_fits_real_data(research_slice: Slice, tmp_path: Path) -> None:
    dataset = dataset_for(research_slice, tiny_config(research_slice, "alpha360"))
    params = {"epochs": 2, "batch_size": 256, "hidden_size": 16, "num_layers": 2, "dropout": 0.1, "lr": 1e-3}
    model = create_model("gru", params, seed=1, device="cpu")
    reports = list(model.fit(dataset))
    assert isinstance(model.net.rnn, GRU)  # type: ignore[attr-defined]
    epochs = [r for r in reports if isinstance(r, EpochFinished)]
    assert len(epochs) == 2 and all(np.isfinite([e.train_loss, e.valid_loss]).all() for e in epochs)
    scores = model.predict(dataset, "test")
    assert np.isfinite(scores).all() and scores.std() > 0
    loaded = load_model(model.save(tmp_path / "gru.bin"), device="cpu")
    np.testing.assert_allclose(loaded.predict(dataset, "test"), scores, rtol=1e-5, atol=1e-6)
