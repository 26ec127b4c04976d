"""LightGBM on the flat feature matrix, boosted round by round so it reports, cancels and resumes."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.datasets.metrics import daily_ic
from core.jobs import CancelToken
from core.models.base import EarlyStopper, EpochFinished, FitFinished, FitReport, Model, TrainingProgress

if TYPE_CHECKING:
    import lightgbm as lgb
    import numpy as np

    from core.datasets.prepared import PreparedDataset

_CHECKPOINT = "lightgbm.ckpt.json"
_FORMAT = "qdesk-lightgbm-1"
# Parameters of the model itself (the rest go to LightGBM as they are).
_OWN = ("num_boost_round", "rounds_per_epoch", "early_stop", "stop_metric")


class LightGBMModel(Model):
    """Gradient-boosted trees; an "epoch" is `rounds_per_epoch` boosting rounds (for curves and early stop)."""

    name = "lightgbm"

    def __init__(self, params: Mapping[str, Any] | None = None, seed: int = 0) -> None:
        super().__init__(params, seed)
        self.booster: lgb.Booster | None = None
        self.best_iteration = 0

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        # Qlib's benchmark configuration for LightGBM on Alpha158 (examples/benchmarks/LightGBM).
        return {
            "objective": "regression",
            "learning_rate": 0.2,
            "num_leaves": 210,
            "max_depth": 8,
            "colsample_bytree": 0.8879,
            "subsample": 0.8789,
            "lambda_l1": 205.6999,
            "lambda_l2": 580.9768,
            "min_data_in_leaf": 20,
            "num_threads": 0,
            "num_boost_round": 1000,
            "rounds_per_epoch": 10,
            "early_stop": 50,
            "stop_metric": "loss",
        }

    def _lgb_params(self) -> dict[str, Any]:
        params = {k: v for k, v in self.params.items() if k not in _OWN}
        threads = int(params.pop("num_threads") or 0) or (os.cpu_count() or 1)
        # Same seed and thread count → same trees: fixed seeds, deterministic histogram building.
        return {
            **params,
            "num_threads": threads,
            "seed": self.seed,
            "deterministic": True,
            "force_col_wise": True,
            "verbosity": -1,
            "metric": "l2",
        }

    def fit(
        self, dataset: PreparedDataset, cancel: CancelToken | None = None, checkpoint_dir: Path | None = None
    ) -> Iterator[FitReport]:
        import lightgbm as lgb
        import numpy as np

        train_rows, valid_rows = dataset.rows("train", labelled=True), dataset.rows("valid", labelled=True)
        if len(train_rows) == 0 or len(valid_rows) == 0:
            raise ValueError("the train and valid segments need labelled rows")
        params = self._lgb_params()
        x_train, y_train = dataset.features[train_rows], dataset.label[train_rows]
        x_valid, y_valid = dataset.features[valid_rows], dataset.label[valid_rows]
        # The binned dataset is all boosting needs: the raw rows are let go once it is built (and the local
        # reference below), so the fit does not hold a second copy of the train features.
        dtrain = lgb.Dataset(x_train, y_train, params={"verbosity": -1}, free_raw_data=True)
        del x_train
        block = max(1, int(self.params["rounds_per_epoch"]))
        epochs = -(-int(self.params["num_boost_round"]) // block)
        patience = -(-int(self.params["early_stop"]) // block)
        stopper = EarlyStopper(str(self.params["stop_metric"]), patience)
        # With the loss metric the best round is tracked round by round, as LightGBM's own early stopping
        # does: the model ends at its real best iteration, not at the end of a block.
        by_round = stopper.metric == "loss"
        rounds = _RoundStopper(int(self.params["early_stop"]))
        valid_days = dataset.date_groups(valid_rows)
        history: list[dict[str, float]] = []
        ckpt = Path(checkpoint_dir) / _CHECKPOINT if checkpoint_dir is not None else None
        start_epoch = 0
        dvalid = lgb.Dataset(x_valid, y_valid, reference=dtrain, params={"verbosity": -1})
        if ckpt is not None and ckpt.exists():
            state = json.loads(ckpt.read_text())
            # LightGBM continues from a model only by boosting at least one round: that round is the
            # first of the resumed block. Trees match an uninterrupted fit; with column sampling on,
            # the sampling continues from a fresh random stream.
            booster = lgb.train(
                params,
                dtrain,
                num_boost_round=1,
                init_model=lgb.Booster(model_str=state["model"]),
                valid_sets=[dvalid],
                valid_names=["valid"],
                keep_training_booster=True,
            )
            boosted_ahead = 1
            start_epoch, history = int(state["epoch"]), list(state["history"])
            stopper.restore(state["stopper"])
            rounds.restore(state.get("rounds", {}))
        else:
            booster = lgb.Booster(params=params, train_set=dtrain)
            booster.add_valid(dvalid, "valid")
            boosted_ahead = 0
        stopped_early = bool(history) and (rounds.stopped if by_round else stopper.should_stop(start_epoch))
        epoch = start_epoch
        valid_scores: np.ndarray | None = None
        scored_trees = 0
        while epoch < epochs and not stopped_early:
            started = time.perf_counter()
            for r in range(block):
                if cancel is not None:
                    cancel.raise_if_cancelled()  # checked every round: cancel never waits for a block
                if boosted_ahead:
                    boosted_ahead -= 1
                else:
                    booster.update()
                yield TrainingProgress(epoch * block + r + 1, epochs * block, "boosting", epoch=epoch + 1)
                if by_round and rounds.update(booster.current_iteration(), float(booster.eval_valid()[0][2])):
                    break  # patience ran out: later rounds would not have been boosted
            epoch += 1
            train_loss = float(booster.eval_train()[0][2])
            valid_loss = float(booster.eval_valid()[0][2])
            # Only the new block's trees are evaluated: valid scores accumulate block by block.
            trees = booster.current_iteration()
            if valid_scores is None:
                # np.asarray: lightgbm's stub allows sparse and list results, which dense input never gives.
                valid_scores = np.asarray(booster.predict(x_valid, raw_score=True, num_threads=params["num_threads"]))
            elif trees > scored_trees:
                valid_scores = valid_scores + np.asarray(
                    booster.predict(
                        x_valid,
                        raw_score=True,
                        start_iteration=scored_trees,
                        num_iteration=trees - scored_trees,
                        num_threads=params["num_threads"],
                    )
                )
            scored_trees, scores = trees, valid_scores
            ic = daily_ic(scores, y_valid, valid_days)
            valid_ic = float(np.nanmean(ic)) if np.isfinite(ic).any() else float("nan")
            improved = stopper.update(epoch, valid_loss, valid_ic)
            history.append({"train_loss": train_loss, "valid_loss": valid_loss, "valid_ic": valid_ic})
            seconds = time.perf_counter() - started
            stopped_early = rounds.stopped if by_round else stopper.should_stop(epoch)
            if ckpt is not None:
                _atomic_json(
                    ckpt,
                    {
                        "epoch": epoch,
                        "history": history,
                        "stopper": stopper.state(),
                        "rounds": rounds.state(),
                        "model": booster.model_to_string(),
                    },
                )
            yield EpochFinished(
                epoch,
                epochs,
                train_loss,
                valid_loss,
                valid_ic,
                stopper.best_epoch,
                seconds,
                len(train_rows) * block / seconds if seconds else 0.0,
                improved,
            )
        if by_round and rounds.best_round:
            self.best_iteration = rounds.best_round
        else:
            self.best_iteration = max(1, stopper.best_epoch) * block
        self.booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=self.best_iteration))
        yield FitFinished(epoch, stopper.best_epoch, stopper.best_loss, stopper.best_ic, stopped_early, start_epoch)

    def predict(self, dataset: PreparedDataset, segment: str = "test") -> np.ndarray:
        if self.booster is None:
            raise RuntimeError("the model is not trained")
        rows = dataset.rows(segment)
        import numpy as np

        return np.asarray(self.booster.predict(dataset.features[rows], num_threads=self._lgb_params()["num_threads"]))

    def save(self, path: Path) -> Path:
        if self.booster is None:
            raise RuntimeError("the model is not trained")
        _atomic_json(
            Path(path),
            {
                "format": _FORMAT,
                "name": self.name,
                "params": self.params,
                "seed": self.seed,
                "best_iteration": self.best_iteration,
                "model": self.booster.model_to_string(),
            },
        )
        return Path(path)

    @classmethod
    def load(cls, path: Path) -> LightGBMModel:
        import lightgbm as lgb

        state = json.loads(Path(path).read_text())
        if state.get("format") != _FORMAT:
            raise ValueError(f"{path}: not a QDesk LightGBM model file")
        model = cls(state["params"], seed=state["seed"])
        model.booster = lgb.Booster(model_str=state["model"])
        model.best_iteration = int(state["best_iteration"])
        return model


class _RoundStopper:
    """Best boosting round by valid loss; stops `patience` rounds after it (0: never)."""

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.best_round = 0
        self.best_loss = float("inf")
        self.stopped = False

    def update(self, round_: int, loss: float) -> bool:
        """Record a round; True when patience has run out."""
        if loss < self.best_loss:
            self.best_round, self.best_loss = round_, loss
        self.stopped = self.patience > 0 and round_ - self.best_round >= self.patience
        return self.stopped

    def state(self) -> dict[str, float]:
        return {"best_round": self.best_round, "best_loss": self.best_loss, "stopped": float(self.stopped)}

    def restore(self, state: Mapping[str, float]) -> None:
        if state:
            self.best_round, self.best_loss = int(state["best_round"]), float(state["best_loss"])
            self.stopped = bool(state["stopped"])


def _atomic_json(path: Path, content: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(content), encoding="utf-8")
    partial.replace(path)  # a crash mid-write leaves the previous checkpoint intact
