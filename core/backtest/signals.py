"""Signal frames: read a user's csv/parquet or stored predictions, normalise codes, align to the calendar."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.domain.symbols import SymbolFormatError, parse_symbol

if TYPE_CHECKING:
    import pandas as pd

_DATE_NAMES = ("datetime", "date", "time", "trade_date")
_SYMBOL_NAMES = ("instrument", "symbol", "code", "ts_code")
_SCORE_NAMES = ("score", "prediction", "pred")


class SignalError(ValueError):
    """A signal file or frame that cannot be used; one line naming the file, line or column."""


def read_signal_file(path: Path | str) -> pd.DataFrame:
    """A csv(.gz) or parquet file with datetime, instrument, score columns -> normalised signal frame."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise SignalError(f"{path}: signal file not found")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            raw = pd.read_parquet(path)
            if isinstance(raw.index, pd.MultiIndex) or raw.index.name:
                raw = raw.reset_index()
        else:
            raw = pd.read_csv(path, dtype=str)
    except Exception as exc:  # pandas raises many kinds; one clear line is what matters
        raise SignalError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from None
    return normalise_signals(raw, str(path), first_line=2)


def _column(frame: pd.DataFrame, names: tuple[str, ...], what: str, where: str) -> str:
    lower = {str(c).lower(): c for c in frame.columns}
    for n in names:
        if n in lower:
            return str(lower[n])
    raise SignalError(
        f"{where}: no {what} column (expected one of {', '.join(names)}; found {', '.join(map(str, frame.columns))})"
    )


def normalise_signals(raw: pd.DataFrame, where: str = "signals", first_line: int | None = None) -> pd.DataFrame:
    """Columns or index levels datetime/instrument/score -> frame indexed (datetime, instrument) with `score`.

    Instruments become `600000.SH`; duplicate (day, instrument) rows are refused.
    """
    import pandas as pd

    if isinstance(raw.index, pd.MultiIndex):
        raw = raw.reset_index()
    if raw.empty:
        raise SignalError(f"{where}: no rows")
    dcol = _column(raw, _DATE_NAMES, "datetime", where)
    icol = _column(raw, _SYMBOL_NAMES, "instrument", where)
    scol = _column(raw, _SCORE_NAMES, "score", where)

    def line(k: int) -> str:
        return f"{where}:{k + first_line}" if first_line is not None else f"{where} row {k}"

    days = pd.to_datetime(raw[dcol].astype(str).str.slice(0, 10), errors="coerce", format="mixed")
    bad = np.flatnonzero(days.isna().to_numpy())
    if bad.size:
        raise SignalError(f"{line(int(bad[0]))}: field '{dcol}': not a date ({raw[dcol].iloc[bad[0]]!r})")
    scores = pd.to_numeric(raw[scol], errors="coerce")
    bad = np.flatnonzero(
        scores.isna().to_numpy() & raw[scol].notna().to_numpy() & (raw[scol].astype(str).str.strip() != "")
    )
    if bad.size:
        raise SignalError(f"{line(int(bad[0]))}: field '{scol}': not a number ({raw[scol].iloc[bad[0]]!r})")
    cache: dict[str, str] = {}
    symbols = []
    for k, text in enumerate(raw[icol].astype(str)):
        sym = cache.get(text)
        if sym is None:
            try:
                sym = cache[text] = str(parse_symbol(text))
            except SymbolFormatError as exc:
                raise SignalError(f"{line(k)}: field '{icol}': {exc}") from None
        symbols.append(sym)
    frame = pd.DataFrame({"datetime": days.dt.normalize(), "instrument": symbols, "score": scores.astype(float)})
    dup = frame.duplicated(["datetime", "instrument"]).to_numpy()
    if dup.any():
        k = int(np.argmax(dup))
        raise SignalError(
            f"{line(k)}: repeated row for {frame['instrument'].iloc[k]} on {frame['datetime'].iloc[k].date()}"
        )
    return frame.dropna(subset=["score"]).set_index(["datetime", "instrument"]).sort_index()


def signals_from_run(run_id: str, data_dir: Path) -> pd.DataFrame:
    """Stored predictions of a research run in the data folder's registry, normalised."""
    from core.research.registry import REGISTRY_FILE, RunRegistry

    if not (Path(data_dir) / REGISTRY_FILE).exists():  # opening the registry would create it
        raise SignalError(f"no run {run_id!r} in the registry (no runs in {data_dir} yet)")
    try:
        predictions = RunRegistry(data_dir).predictions(run_id)
    except KeyError as exc:  # UnknownRun says which id
        raise SignalError(str(exc)) from None
    except (FileNotFoundError, ValueError, OSError) as exc:
        raise SignalError(f"run {run_id!r}: {exc}") from None
    return normalise_signals(predictions, f"run {run_id}")


def align_scores(signals: pd.DataFrame, days: np.ndarray, symbols: list[str]) -> np.ndarray:
    """[day, symbol] score array (NaN where none) for the panel's calendar; off-calendar days are dropped."""
    import pandas as pd

    out = np.full((len(days), len(symbols)), np.nan)
    idx_days = pd.Index(days.astype("datetime64[ns]")).get_indexer(signals.index.get_level_values(0))
    idx_syms = pd.Index(symbols).get_indexer(signals.index.get_level_values(1))
    ok = (idx_days >= 0) & (idx_syms >= 0)
    out[idx_days[ok], idx_syms[ok]] = signals["score"].to_numpy()[ok]
    return out
