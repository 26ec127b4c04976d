"""The PyTorch models: one training loop for every network, with device choice, AMP, checkpoints and cancel."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.datasets.metrics import daily_ic
from core.jobs import CancelToken
from core.models.base import EarlyStopper, EpochFinished, FitFinished, FitReport, Model, TrainingProgress
from core.models.device import DeviceChoice, select_device
from core.models.inputs import InputLayout

if TYPE_CHECKING:
    import numpy as np
    import torch

    from core.datasets.prepared import PreparedDataset

_FORMAT = "qdesk-torch-1"
_LAST, _BEST = "last.pt", "best.pt"
_TRAINING = {
    "lr": 2e-4,
    "weight_decay": 0.0,
    "batch_size": 800,
    "epochs": 200,
    "early_stop": 20,
    "stop_metric": "loss",
    "clip_grad": 3.0,
}


class TorchModel(Model):
    """A network from core.models.nets trained with Adam on MSE; subclasses set `name`, net params, `sequence`."""

    sequence = True
    net_params: dict[str, Any] = {}

    def __init__(
        self, params: Mapping[str, Any] | None = None, seed: int = 0, device: str = "auto", amp: str = "auto"
    ) -> None:
        super().__init__(params, seed)
        self.device_request, self.amp_request = device, amp
        self.choice: DeviceChoice | None = None
        self.net: torch.nn.Module | None = None
        self.layout: InputLayout | None = None

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        extra = {"step_len": 20} if cls.sequence else {}
        return {**_TRAINING, **cls.net_params, **extra}

    def _net_kwargs(self) -> dict[str, Any]:
        return {k: self.params[k] for k in self.net_params}

    def _setup(self, dataset: PreparedDataset) -> tuple[torch.device, torch.Tensor, torch.Tensor | None]:
        import torch

        from core.models.nets import build_net

        self.choice = select_device(self.device_request, self.amp_request)
        device = torch.device(self.choice.device)
        layout = InputLayout.for_dataset(dataset, self.sequence, int(self.params.get("step_len", 1)))
        if self.layout is not None and (self.layout.kind, self.layout.n_features) != (layout.kind, layout.n_features):
            raise ValueError(
                f"{self.name}: the model was trained on {self.layout.n_features} features "
                f"({self.layout.kind}), the dataset has {layout.n_features} ({layout.kind})"
            )
        self.layout = layout
        if self.net is None:
            torch.manual_seed(self.seed)  # same seed → same initial weights
            self.net = build_net(self.name, layout.n_features, layout.d_feat, self._net_kwargs())
        self.net.to(device)
        features = torch.from_numpy(dataset.features).to(device)
        windows = layout.windows(dataset)
        return device, features, torch.from_numpy(windows).to(device) if windows is not None else None

    def _autocast(self, device: torch.device) -> Any:
        import contextlib

        import torch

        amp = self.choice.amp if self.choice else None
        if amp is None:
            return contextlib.nullcontext()
        try:
            return torch.autocast(device.type, dtype=torch.bfloat16 if amp == "bf16" else torch.float16)
        except (RuntimeError, ValueError):
            # Autocast on MPS (and bf16 on some CPUs) depends on the torch build: fall back to fp32 once.
            assert self.choice is not None
            self.choice = DeviceChoice(self.choice.device, None)
            return contextlib.nullcontext()

    def fit(
        self, dataset: PreparedDataset, cancel: CancelToken | None = None, checkpoint_dir: Path | None = None
    ) -> Iterator[FitReport]:
        import numpy as np
        import torch

        train_rows, valid_rows = dataset.rows("train", labelled=True), dataset.rows("valid", labelled=True)
        if len(train_rows) == 0 or len(valid_rows) == 0:
            raise ValueError("the train and valid segments need labelled rows")
        device, features, windows = self._setup(dataset)
        assert self.net is not None and self.layout is not None
        net, layout = self.net, self.layout
        labels = torch.from_numpy(dataset.label).to(device)
        p = self.params
        optimizer = torch.optim.Adam(net.parameters(), lr=float(p["lr"]), weight_decay=float(p["weight_decay"]))
        scaler = torch.amp.GradScaler(
            device.type, enabled=self.choice is not None and self.choice.amp == "fp16" and device.type == "cuda"
        )
        stopper = EarlyStopper(str(p["stop_metric"]), int(p["early_stop"]))
        epochs, batch = int(p["epochs"]), int(p["batch_size"])
        n_batches = max(1, -(-len(train_rows) // batch))
        start_epoch, best_state = 0, copy.deepcopy(net.state_dict())
        ckpt_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        if ckpt_dir is not None and (ckpt_dir / _LAST).exists():
            state = torch.load(ckpt_dir / _LAST, map_location=device, weights_only=True)
            net.load_state_dict(state["net"])
            optimizer.load_state_dict(state["optimizer"])
            scaler.load_state_dict(state["scaler"])
            stopper.restore(state["stopper"])
            start_epoch = int(state["epoch"])
            best_state = torch.load(ckpt_dir / _BEST, map_location=device, weights_only=True)
        valid_days = dataset.date_groups(valid_rows)
        epoch, stopped_early = start_epoch, start_epoch > 0 and stopper.should_stop(start_epoch)
        while epoch < epochs and not stopped_early:
            started = time.perf_counter()
            # Seeds per epoch, so a resumed fit shuffles and drops out exactly like an uninterrupted one.
            torch.manual_seed(self.seed * 100_003 + epoch)
            order = torch.from_numpy(np.random.default_rng([self.seed, epoch]).permutation(train_rows)).to(device)
            net.train()
            total = torch.zeros((), device=device)
            for b in range(n_batches):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                rows = order[b * batch : (b + 1) * batch]
                with self._autocast(device):
                    pred = net(layout.gather(features, windows, rows))
                loss = torch.mean((pred.float() - labels[rows]) ** 2)
                optimizer.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_value_(net.parameters(), float(p["clip_grad"]))
                scaler.step(optimizer)
                scaler.update()
                total += loss.detach() * len(rows)
                yield TrainingProgress(epoch * n_batches + b + 1, epochs * n_batches, "training", epoch=epoch + 1)
            epoch += 1
            train_loss = float(total) / len(train_rows)
            scores = self._predict_rows(features, windows, valid_rows, device)
            valid_loss = float(np.mean((scores - dataset.label[valid_rows]) ** 2))
            ic = daily_ic(scores, dataset.label[valid_rows], valid_days)
            valid_ic = float(np.nanmean(ic)) if np.isfinite(ic).any() else math.nan
            improved = stopper.update(epoch, valid_loss, valid_ic)
            if improved:
                best_state = copy.deepcopy(net.state_dict())
            stopped_early = stopper.should_stop(epoch)
            if ckpt_dir is not None:
                self._checkpoint(ckpt_dir, epoch, optimizer, scaler, stopper, best_state if improved else None)
            seconds = time.perf_counter() - started
            yield EpochFinished(
                epoch,
                epochs,
                train_loss,
                valid_loss,
                valid_ic,
                stopper.best_epoch,
                seconds,
                len(train_rows) / seconds if seconds else 0.0,
                improved,
            )
        net.load_state_dict(best_state)
        yield FitFinished(epoch, stopper.best_epoch, stopper.best_loss, stopper.best_ic, stopped_early, start_epoch)

    def _checkpoint(
        self,
        folder: Path,
        epoch: int,
        optimizer: Any,
        scaler: Any,
        stopper: EarlyStopper,
        best_state: dict[str, Any] | None,
    ) -> None:
        import torch

        assert self.net is not None
        folder.mkdir(parents=True, exist_ok=True)
        if best_state is not None:  # best first: a crash between the two files still resumes consistently
            torch.save(best_state, folder / (_BEST + ".partial"))
            (folder / (_BEST + ".partial")).replace(folder / _BEST)
        state = {
            "epoch": epoch,
            "net": self.net.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scaler": scaler.state_dict(),
            "stopper": stopper.state(),
        }
        torch.save(state, folder / (_LAST + ".partial"))
        (folder / (_LAST + ".partial")).replace(folder / _LAST)

    def _predict_rows(
        self, features: torch.Tensor, windows: torch.Tensor | None, rows: np.ndarray, device: torch.device
    ) -> np.ndarray:
        import numpy as np
        import torch

        assert self.net is not None and self.layout is not None
        self.net.eval()
        out = []
        index = torch.from_numpy(rows).to(device)
        step = max(int(self.params["batch_size"]), 4096)
        with torch.no_grad():
            for i in range(0, len(rows), step):
                with self._autocast(device):
                    out.append(self.net(self.layout.gather(features, windows, index[i : i + step])).float().cpu())
        return torch.cat(out).numpy().astype(np.float64) if out else np.zeros(0)

    def predict(self, dataset: PreparedDataset, segment: str = "test") -> np.ndarray:
        if self.net is None:
            raise RuntimeError("the model is not trained")
        device, features, windows = self._setup(dataset)
        return self._predict_rows(features, windows, dataset.rows(segment), device)

    def save(self, path: Path) -> Path:
        import torch

        if self.net is None or self.layout is None:
            raise RuntimeError("the model is not trained")
        state = {
            "format": _FORMAT,
            "name": self.name,
            "params": self.params,
            "seed": self.seed,
            "layout": [self.layout.kind, self.layout.n_features, self.layout.d_feat, self.layout.step_len],
            "net": {k: v.cpu() for k, v in self.net.state_dict().items()},
        }
        path = Path(path)
        torch.save(state, path.with_name(path.name + ".partial"))
        path.with_name(path.name + ".partial").replace(path)
        return path

    @classmethod
    def load(cls, path: Path, device: str = "auto") -> TorchModel:
        import torch

        from core.models import model_class
        from core.models.nets import build_net

        state = torch.load(Path(path), map_location="cpu", weights_only=True)
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise ValueError(f"{path}: not a QDesk PyTorch model file")
        klass = model_class(state["name"])
        if not issubclass(klass, TorchModel):
            raise ValueError(f"{path}: {state['name']} is not a PyTorch model")
        model = klass(state["params"], seed=state["seed"], device=device)
        model.layout = InputLayout(*state["layout"])
        model.net = build_net(model.name, model.layout.n_features, model.layout.d_feat, model._net_kwargs())
        model.net.load_state_dict(state["net"])
        return model


_RNN = {"hidden_size": 64, "num_layers": 2, "dropout": 0.0}


class LinearModel(TorchModel):
    name, sequence, net_params = "linear", False, {}


class MLPModel(TorchModel):
    name, sequence, net_params = "mlp", False, {"hidden_size": 256, "num_layers": 2, "dropout": 0.1}


class GRUModel(TorchModel):
    name, net_params = "gru", dict(_RNN)


class LSTMModel(TorchModel):
    name, net_params = "lstm", dict(_RNN)


class ALSTMModel(TorchModel):
    name, net_params = "alstm", dict(_RNN)


class TransformerModel(TorchModel):
    name, net_params = "transformer", {"d_model": 64, "nhead": 2, "num_layers": 2, "dropout": 0.0}
