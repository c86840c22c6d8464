extension Indicators {
    /// The highest value of the last `period` values, current included (TA-Lib `MAX`).
    /// The first value is at index `period - 1`.
    public static func highest(_ values: [Double], period: Int) -> [Double] {
        precondition(period >= 1, "window period must be at least 1")
        var out = nanSeries(values.count)
        guard values.count >= period else { return out }
        // Track where the extreme is and rescan the window only when it drops out, as TA-Lib
        // does; `>=` keeps the newest of equal values, so it stays in the window longest.
        var extremeIndex = -1
        var extreme = 0.0
        for i in (period - 1)..<values.count {
            let trailing = i - period + 1
            if extremeIndex < trailing {
                extremeIndex = trailing
                extreme = values[trailing]
                var j = trailing + 1
                while j <= i {
                    if values[j] >= extreme {
                        extremeIndex = j
                        extreme = values[j]
                    }
                    j += 1
                }
            } else if values[i] >= extreme {
                extremeIndex = i
                extreme = values[i]
            }
            out[i] = extreme
        }
        return out
    }

    /// The lowest value of the last `period` values, current included (TA-Lib `MIN`).
    /// The first value is at index `period - 1`.
    public static func lowest(_ values: [Double], period: Int) -> [Double] {
        precondition(period >= 1, "window period must be at least 1")
        var out = nanSeries(values.count)
        guard values.count >= period else { return out }
        var extremeIndex = -1
        var extreme = 0.0
        for i in (period - 1)..<values.count {
            let trailing = i - period + 1
            if extremeIndex < trailing {
                extremeIndex = trailing
                extreme = values[trailing]
                var j = trailing + 1
                while j <= i {
                    if values[j] <= extreme {
                        extremeIndex = j
                        extreme = values[j]
                    }
                    j += 1
                }
            } else if values[i] <= extreme {
                extremeIndex = i
                extreme = values[i]
            }
            out[i] = extreme
        }
        return out
    }
}
