import Analysis
import Testing

@Suite struct DonchianTests {
    @Test func channelOverTheWindowIncludingTheCurrentBar() {
        let high = [1.0, 3, 2, 5, 4, 4.5]
        let low = [0.0, 1, 1.5, 2, 3, 3.5]
        let channel = Indicators.donchian(high: high, low: low, period: 3)
        #expect(channel.upper[0].isNaN && channel.upper[1].isNaN)
        #expect(channel.lower[0].isNaN && channel.middle[1].isNaN)
        #expect(Array(channel.upper[2...]) == [3, 5, 5, 5])
        #expect(Array(channel.lower[2...]) == [0, 1, 1.5, 2])
        #expect(Array(channel.middle[2...]) == [1.5, 3, 3.25, 3.5])
    }

    @Test func extremesLeaveTheWindow() {
        // The maximum drops out of the window and must be found again by a rescan.
        let values = [9.0, 1, 2, 3, 2, 1, 2, 2]
        #expect(Array(Indicators.highest(values, period: 3)[2...]) == [9, 3, 3, 3, 2, 2])
        #expect(Array(Indicators.lowest(values, period: 3)[2...]) == [1, 1, 2, 1, 1, 1])
    }

    @Test func shortInputIsAllWarmUp() {
        let channel = Indicators.donchian(high: [1, 2], low: [0, 1], period: 3)
        #expect(channel.upper.count == 2 && channel.upper.allSatisfy(\.isNaN))
        #expect(channel.middle.count == 2 && channel.lower.allSatisfy(\.isNaN))
    }
}
