#!/usr/bin/env python3
"""Writes the TA-Lib reference vectors that IndicatorReferenceTests compares against.

Usage (from the repository root, TA-Lib's wheel bundles the C library):

    pip install TA-Lib numpy
    python3 Tests/AnalysisTests/Indicators/reference/generate.py deploy/replay-data/futures

For each symbol it reads the first --rows klines of `<SYMBOL>-1m-*.zip` (data.binance.vision's
archive of one CSV: a header row, then open_time,open,high,low,close,volume,close_time,...; a
plain `<SYMBOL>-1m-*.csv` works too) and writes
`<SYMBOL>.csv` beside this script. To keep the files small, every row of the warm-up (the
first 100) is written and then every 8th row; the first column is the row index into the
fixture's data rows. Values are Python reprs (shortest round-trip, at most 17 significant
digits); `nan` marks TA-Lib's warm-up.
"""

import argparse
import csv
import glob
import io
import os
import sys
import zipfile

import numpy as np

try:
    import talib
except ImportError:  # pragma: no cover - the message is the point
    sys.exit("TA-Lib is missing: pip install TA-Lib numpy")

COLUMNS = [
    "sma20", "ema20", "rsi14",
    "macd", "macd_signal", "macd_hist",
    "bb_upper", "bb_middle", "bb_lower",
    "atr14", "obv", "stoch_k", "stoch_d",
    "adx14", "plus_di14", "minus_di14",
    "max20_high", "min20_low",
]
WARMUP_ROWS = 100
STRIDE = 8


def open_csv(path):
    """The CSV's name and text: a .zip's only .csv entry, or the file itself."""
    if not path.endswith(".zip"):
        with open(path, newline="") as handle:
            return os.path.basename(path), handle.read()
    with zipfile.ZipFile(path) as archive:
        names = [name for name in archive.namelist() if name.endswith(".csv")]
        if len(names) != 1:
            sys.exit(f"{path}: expected one .csv entry, found {len(names)}")
        return names[0], archive.read(names[0]).decode("utf-8")


def load(path, rows):
    name, text = open_csv(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    if header[0] != "open_time":
        sys.exit(f"{path}: expected a header row starting with open_time")
    data = [row for _, row in zip(range(rows), reader)]
    columns = list(zip(*data))
    as_float = lambda i: np.array(columns[i], dtype=np.float64)
    return name, {
        "open_time": [int(v) for v in columns[0]],
        "high": as_float(2), "low": as_float(3), "close": as_float(4), "volume": as_float(5),
    }


def indicators(k):
    high, low, close, volume = k["high"], k["low"], k["close"], k["volume"]
    macd, signal, hist = talib.MACD(close, fastperiod=12, slowperiod=26, signalperiod=9)
    upper, middle, lower = talib.BBANDS(close, timeperiod=20, nbdevup=2, nbdevdn=2, matype=0)
    slow_k, slow_d = talib.STOCH(high, low, close, fastk_period=14, slowk_period=3, slowk_matype=0,
                                 slowd_period=3, slowd_matype=0)
    return {
        "sma20": talib.SMA(close, timeperiod=20),
        "ema20": talib.EMA(close, timeperiod=20),
        "rsi14": talib.RSI(close, timeperiod=14),
        "macd": macd, "macd_signal": signal, "macd_hist": hist,
        "bb_upper": upper, "bb_middle": middle, "bb_lower": lower,
        "atr14": talib.ATR(high, low, close, timeperiod=14),
        "obv": talib.OBV(close, volume),
        "stoch_k": slow_k, "stoch_d": slow_d,
        "adx14": talib.ADX(high, low, close, timeperiod=14),
        "plus_di14": talib.PLUS_DI(high, low, close, timeperiod=14),
        "minus_di14": talib.MINUS_DI(high, low, close, timeperiod=14),
        "max20_high": talib.MAX(high, timeperiod=20),
        "min20_low": talib.MIN(low, timeperiod=20),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("fixtures", help="folder holding <SYMBOL>-1m-*.zip (or .csv) futures klines")
    parser.add_argument("--symbols", nargs="+", default=["LINKUSDT", "NEARUSDT"])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = parser.parse_args()

    for symbol in args.symbols:
        matches = sorted(glob.glob(os.path.join(args.fixtures, f"{symbol}-1m-*.zip"))
                         + glob.glob(os.path.join(args.fixtures, f"{symbol}-1m-*.csv")))
        if not matches:
            sys.exit(f"no {symbol}-1m-*.zip or .csv in {args.fixtures}")
        source, klines = load(matches[0], args.rows)
        count = len(klines["open_time"])
        values = indicators(klines)
        target = os.path.join(args.out, f"{symbol}.csv")
        with open(target, "w", newline="") as out:
            out.write(f"# source={source} rows={count} talib={talib.__ta_version__.decode()}\n")
            out.write(",".join(["row", "open_time"] + COLUMNS) + "\n")
            for i in range(count):
                if i >= WARMUP_ROWS and i % STRIDE != 0:
                    continue
                cells = [str(i), str(klines["open_time"][i])] + [repr(float(values[c][i])) for c in COLUMNS]
                out.write(",".join(cells) + "\n")
        print(f"{target}: {count} klines from {source}")


if __name__ == "__main__":
    main()
