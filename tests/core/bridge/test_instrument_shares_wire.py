"""Share capital from xtquant's instrument detail into the domain Instrument and over the bridge's wire."""

from __future__ import annotations

import math

import pytest

from core.bridge.protocol import instrument_from_wire, instrument_to_wire
from core.bridge.schemas import InstrumentOut
from core.bridge.xt_records import instrument_to_domain
from core.domain.symbols import Board

# 000001.SZ as xtdata.get_instrument_detail returns it (the default field set).
PINGAN = {
    "ExchangeID": "SZ",
    "InstrumentID": "000001",
    "InstrumentName": "平安银行",
    "OpenDate": "19910403",
    "ExpireDate": "99999999",
    "PreClose": 12.35,
    "UpStopPrice": 13.59,
    "DownStopPrice": 11.12,
    "PriceTick": 0.01,
    "FloatVolume": 19405546950.0,
    "TotalVolume": 19405918198.0,
}


def test_an_instrument_detail_carries_its_share_capital_into_the_domain() -> None:
    inst = instrument_to_domain("000001.SZ", PINGAN)
    assert inst.name == "平安银行" and inst.board is Board.MAIN
    assert inst.total_shares == 19405918198.0 and inst.float_shares == 19405546950.0


@pytest.mark.parametrize("unknown", [0.0, math.nan, math.inf, None, "", -5.0])
def test_zero_nan_or_missing_share_capital_is_unknown(unknown: object) -> None:
    detail = {**PINGAN, "FloatVolume": unknown, "TotalVolume": unknown}
    inst = instrument_to_domain("000001.SZ", detail)
    assert inst.total_shares is None and inst.float_shares is None
    bare = {k: v for k, v in PINGAN.items() if k not in ("FloatVolume", "TotalVolume")}
    assert instrument_to_domain("000001.SZ", bare).float_shares is None


def test_share_capital_survives_the_wire_and_an_older_bridge_sends_none() -> None:
    inst = instrument_to_domain("000001.SZ", PINGAN)
    wire = instrument_to_wire(inst)
    assert InstrumentOut.model_validate(wire).float_shares == 19405546950.0  # the response model accepts it
    assert instrument_from_wire(wire) == inst
    older = {k: v for k, v in wire.items() if k not in ("total_shares", "float_shares")}
    assert InstrumentOut.model_validate(older).total_shares is None
    back = instrument_from_wire(older)
    assert back.total_shares is None and back.float_shares is None and back.name == "平安银行"
    unknown = instrument_to_wire(instrument_to_domain("000001.SZ", {**PINGAN, "TotalVolume": 0.0}))
    assert unknown["total_shares"] is None and instrument_from_wire(unknown).float_shares == 19405546950.0
