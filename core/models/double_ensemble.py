"""DoubleEnsemble (Zhang et al., ICDM 2020): LightGBM sub-models trained on re-weighted samples and selected features.

Each sub-model after the first learns with sample weights from the previous ones' results (sample
re-weighting: samples the ensemble already fits well, and samples whose loss hardly fell while boosting,
i.e. noise, weigh less) and on features chosen by shuffled-feature importance (features whose shuffling
hurts the ensemble most are kept most). The prediction is the weighted mean of the sub-models.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.datasets.metrics import daily_ic
from core.jobs import CancelToken
from core.models.base import EpochFinished, FitFinished, FitReport, Model, TrainingProgress

if TYPE_CHECKING:
    import lightgbm as lgb
    import numpy as np

    from core.datasets.prepared import PreparedDataset

_FORMAT = "qdesk-double-ensemble-1"
# Parameters of the ensemble itself (the rest go to every LightGBM sub-model as they are).
_OWN = (
    "num_models",
    "num_boost_round",
    "enable_sr",
    "enable_fs",
    "alpha1",
    "alpha2",
    "bins_sr",
    "bins_fs",
    "decay",
    "sample_ratios",
    "sub_weights",
    "fs_rows",
)


class DoubleEnsembleModel(Model):
    """An "epoch" is one sub-model; its report carries the ensemble-so-far's losses and valid IC."""

    name = "double_ensemble"

    def __init__(self, params: Mapping[str, Any] | None = None, seed: int = 0) -> None:
        super().__init__(params, seed)
        self.boosters: list[lgb.Booster] = []
        self.features: list[list[int]] = []

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        # Qlib's benchmark configuration for DoubleEnsemble on Alpha158 (examples/benchmarks/DoubleEnsemble).
        return {
            "num_models": 6,
            "num_boost_round": 136,
            "enable_sr": True,
            "enable_fs": True,
            "alpha1": 1.0,
            "alpha2": 1.0,
            "bins_sr": 10,
            "bins_fs": 5,
            "decay": 0.5,
            "sample_ratios": [0.8, 0.7, 0.6, 0.5, 0.4],
            "sub_weights": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
            "fs_rows": 20_000,  # train rows sampled to rank features (shuffling every row of CSI300 takes minutes)
            "objective": "regression",
            "learning_rate": 0.2,
            "num_leaves": 210,
            "max_depth": 8,
            "colsample_bytree": 0.8879,
            "subsample": 0.8789,
            "lambda_l1": 205.6999,
            "lambda_l2": 580.9768,
            "num_threads": 0,
        }

    def _lgb_params(self, k: int) -> dict[str, Any]:
        params = {key: v for key, v in self.params.items() if key not in _OWN}
        threads = int(params.pop("num_threads") or 0) or (os.cpu_count() or 1)
        return {
            **params,
            "num_threads": threads,
            "seed": self.seed + k,
            "deterministic": True,
            "force_col_wise": True,
            "verbosity": -1,
            "metric": "l2",
        }

    def _weights(self) -> list[float]:
        given = [float(w) for w in self.params["sub_weights"]]
        n = int(self.params["num_models"])
        return (given + [1.0] * n)[:n]

    def fit(
        self, dataset: PreparedDataset, cancel: CancelToken | None = None, checkpoint_dir: Path | None = None
    ) -> Iterator[FitReport]:
        import lightgbm as lgb
        import numpy as np

        train_rows, valid_rows = dataset.rows("train", labelled=True), dataset.rows("valid", labelled=True)
        if len(train_rows) == 0 or len(valid_rows) == 0:
            raise ValueError("the train and valid segments need labelled rows")
        x, y = dataset.features[train_rows], dataset.label[train_rows]
        xv, yv = dataset.features[valid_rows], dataset.label[valid_rows]
        n_models, rounds = int(self.params["num_models"]), int(self.params["num_boost_round"])
        if n_models < 1 or rounds < 1:
            raise ValueError("double_ensemble: num_models and num_boost_round must be at least 1")
        weights = np.ones(len(y), dtype=np.float32)
        features = list(range(x.shape[1]))
        sub_w = self._weights()
        self.boosters, self.features = [], []
        pred = np.zeros(len(y))  # weighted sum of the sub-models' train predictions
        pred_v = np.zeros(len(yv))
        valid_days = dataset.date_groups(valid_rows)
        rng = np.random.default_rng(self.seed)
        for k in range(n_models):
            params = self._lgb_params(k)
            xk = x if len(features) == x.shape[1] else np.ascontiguousarray(x[:, features])  # one copy per model
            threads = params["num_threads"]
            dtrain = lgb.Dataset(xk, y, weight=weights, params={"verbosity": -1}, free_raw_data=True)
            booster = lgb.Booster(params=params, train_set=dtrain)
            curve_start, curve_end = np.zeros(len(y)), np.zeros(len(y))
            raw = np.zeros(len(y))
            edge = max(1, rounds // 10)  # the loss curve's first and last tenth
            for r in range(rounds):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                booster.update()
                raw += np.asarray(booster.predict(xk, start_iteration=r, num_iteration=1, num_threads=threads))
                loss = (raw - y) ** 2
                if r < edge:
                    curve_start += loss
                if r >= rounds - edge:
                    curve_end += loss
                yield TrainingProgress(k * rounds + r + 1, n_models * rounds, "boosting sub-models", epoch=k + 1)
            self.boosters.append(booster)
            self.features.append(list(features))
            pred += sub_w[k] * raw
            pred_v += sub_w[k] * np.asarray(booster.predict(xv[:, features], num_threads=threads))
            del xk
            total = sum(sub_w[: k + 1])
            ensemble, ensemble_v = pred / total, pred_v / total
            ic = daily_ic(ensemble_v, yv, valid_days)
            valid_ic = float(np.nanmean(ic)) if np.isfinite(ic).any() else float("nan")
            yield EpochFinished(
                k + 1,
                n_models,
                float(np.mean((ensemble - y) ** 2)),
                float(np.mean((ensemble_v - yv) ** 2)),
                valid_ic,
                k + 1,
                0.0,
                0.0,
                True,
            )
            if k + 1 == n_models:
                break
            loss_values = (ensemble - y) ** 2
            if self.params["enable_sr"]:
                weights = self._reweight(loss_values, curve_start / edge, curve_end / edge, k + 1)
            if self.params["enable_fs"]:
                features = self._select(x, y, loss_values, k + 1, rng)
        yield FitFinished(n_models, n_models, float("nan"), valid_ic, False, 0)

    def _reweight(self, loss: np.ndarray, start: np.ndarray, end: np.ndarray, k: int) -> np.ndarray:
        """Sample weights: low for samples the ensemble fits well (h1) and for samples whose loss hardly fell
        while boosting (h2, noise); the penalty fades with `decay` as sub-models accumulate."""
        import numpy as np
        from scipy.stats import rankdata

        h1 = rankdata(-loss) / len(loss)
        h2 = rankdata(end / np.maximum(start, 1e-12)) / len(loss)
        h = float(self.params["alpha1"]) * h1 + float(self.params["alpha2"]) * h2
        bins = int(self.params["bins_sr"])
        order = np.argsort(h, kind="stable")
        weights = np.empty(len(h), dtype=np.float32)
        for part in np.array_split(order, bins):
            if len(part):
                weights[part] = 1.0 / (float(self.params["decay"]) ** k * float(h[part].mean()) + 0.1)
        return weights

    def _select(self, x: np.ndarray, y: np.ndarray, loss: np.ndarray, k: int, rng: Any) -> list[int]:
        """Features for the next sub-model: ranked by how much shuffling each one raises the ensemble's loss
        (mean over its spread), cut into bins, and a shrinking share sampled from each weaker bin."""
        import numpy as np

        n = min(len(y), int(self.params["fs_rows"]))
        rows = np.sort(rng.choice(len(y), size=n, replace=False))
        xs, ys = x[rows], y[rows]
        base = self._ensemble(xs)
        base_loss = (base - ys) ** 2
        sub_w = self._weights()[: len(self.boosters)]
        total = sum(sub_w)
        threads = self._lgb_params(0)["num_threads"]
        before = [
            np.asarray(b.predict(xs[:, feats], num_threads=threads))
            for b, feats in zip(self.boosters, self.features, strict=True)
        ]
        gain = np.full(x.shape[1], -np.inf)
        for f in range(x.shape[1]):
            users = [j for j, feats in enumerate(self.features) if f in feats]
            if not users:
                continue
            shuffled = xs.copy()
            shuffled[:, f] = rng.permutation(shuffled[:, f])
            pred = base.copy()
            for j in users:
                after = np.asarray(self.boosters[j].predict(shuffled[:, self.features[j]], num_threads=threads))
                pred += sub_w[j] * (after - before[j]) / total
            delta = (pred - ys) ** 2 - base_loss
            spread = float(delta.std())
            gain[f] = float(delta.mean()) / spread if spread > 0 else 0.0
        ranked = [int(f) for f in np.argsort(-gain, kind="stable") if np.isfinite(gain[f])]
        ratios = [float(r) for r in self.params["sample_ratios"]]
        keep: list[int] = []
        for i, part in enumerate(np.array_split(np.asarray(ranked), int(self.params["bins_fs"]))):
            ratio = ratios[i] if i < len(ratios) else ratios[-1]
            take = max(1, int(np.ceil(ratio * len(part)))) if len(part) else 0
            keep.extend(int(f) for f in rng.choice(part, size=take, replace=False))
        return sorted(keep)

    def _ensemble(self, x: np.ndarray) -> np.ndarray:
        import numpy as np

        sub_w = self._weights()[: len(self.boosters)]
        out = np.zeros(len(x))
        for w, booster, feats in zip(sub_w, self.boosters, self.features, strict=True):
            out += w * np.asarray(booster.predict(x[:, feats], num_threads=self._lgb_params(0)["num_threads"]))
        return out / sum(sub_w)

    def predict(self, dataset: PreparedDataset, segment: str = "test") -> np.ndarray:
        if not self.boosters:
            raise RuntimeError("the model is not trained")
        return self._ensemble(dataset.features[dataset.rows(segment)])

    def save(self, path: Path) -> Path:
        if not self.boosters:
            raise RuntimeError("the model is not trained")
        content = {
            "format": _FORMAT,
            "name": self.name,
            "params": self.params,
            "seed": self.seed,
            "models": [
                {"features": feats, "model": b.model_to_string()}
                for b, feats in zip(self.boosters, self.features, strict=True)
            ],
        }
        path = Path(path)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(content), encoding="utf-8")
        partial.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> DoubleEnsembleModel:
        import lightgbm as lgb

        state = json.loads(Path(path).read_text())
        if state.get("format") != _FORMAT:
            raise ValueError(f"{path}: not a QDesk DoubleEnsemble model file")
        model = cls(state["params"], seed=state["seed"])
        model.boosters = [lgb.Booster(model_str=m["model"]) for m in state["models"]]
        model.features = [list(m["features"]) for m in state["models"]]
        return model
