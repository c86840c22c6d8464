/// Groups sorted minute open times (ms) into inclusive ranges of consecutive minutes.
enum MinuteRanges {
    static func ranges(_ minutes: [Int64]) -> [ClosedRange<Int64>] {
        var result: [ClosedRange<Int64>] = []
        for minute in minutes {
            if let last = result.last, last.upperBound + 60_000 == minute {
                result[result.count - 1] = last.lowerBound...minute
            } else {
                result.append(minute...minute)
            }
        }
        return result
    }
}
