import Binance
import Core
import Testing

@Suite struct ConnectionPlannerTests {
    /// `count` distinct futures kline streams, `SYM0000USDT`…
    static func streams(_ count: Int, from start: Int = 0) -> Set<StreamName> {
        Set((start..<start + count).map { StreamName.kline("SYM\(padded4($0))USDT")! })
    }

    let futures = ConnectionPlanner(limits: .futures)

    @Test func aThousandFuturesStreamsNeedFiveFullConnections() {
        let desired = Self.streams(1_000)
        let plan = futures.plan(desired: desired, current: [:], nextConnectionID: 1)
        #expect(plan.open.map(\.connection) == [1, 2, 3, 4, 5])
        #expect(plan.open.allSatisfy { $0.streams.count == 200 })
        #expect(Set(plan.open.flatMap(\.streams)) == desired)
        #expect(plan.subscribe.isEmpty && plan.unsubscribe.isEmpty && plan.close.isEmpty)
        // Deterministic.
        #expect(futures.plan(desired: desired, current: [:], nextConnectionID: 1) == plan)
        // Each connection's streams go out in one SUBSCRIBE within 8 KB.
        var nextID = 1
        let requests = plan.requests(limits: .futures, nextID: &nextID)
        #expect(requests.count == 5 && requests.values.allSatisfy { $0.count == 1 })
        #expect(requests.values.allSatisfy { $0[0].json.utf8.count <= 8_192 })
        #expect(Set(requests.values.map { $0[0].id }) == [1, 2, 3, 4, 5] && nextID == 6)
        // Carried out, nothing is left to do.
        let after = plan.applied(to: [:])
        #expect(futures.plan(desired: desired, current: after, nextConnectionID: 6).isEmpty)
        #expect(ConnectionPlanner(limits: .spot).plan(desired: desired, current: [:], nextConnectionID: 1).open.count == 1)
    }

    @Test func newStreamsFillFreeRoomWithoutTouchingOthers() {
        var current: [ConnectionID: Set<StreamName>] = [1: Self.streams(200), 2: Self.streams(150, from: 200)]
        let added = Self.streams(3, from: 1_000)
        let plan = futures.plan(desired: Self.streams(350).union(added), current: current, nextConnectionID: 3)
        #expect(plan.subscribe == [2: added.sorted()])
        #expect(plan.unsubscribe.isEmpty && plan.open.isEmpty && plan.close.isEmpty)
        var nextID = 10
        let requests = plan.requests(limits: .futures, nextID: &nextID)
        #expect(requests[2]?.map(\.json) == [
            #"{"method":"SUBSCRIBE","params":["sym1000usdt@kline_1m","sym1001usdt@kline_1m","sym1002usdt@kline_1m"],"id":10}"#,
        ])
        current = plan.applied(to: current)
        #expect(current[1] == Self.streams(200) && current[2]?.count == 153)
    }

    @Test func overflowGoesToTheLowestConnectionsThenToNewOnes() {
        let current: [ConnectionID: Set<StreamName>] = [4: Self.streams(190), 9: Self.streams(195, from: 190)]
        let plan = futures.plan(desired: Self.streams(615), current: current, nextConnectionID: 10)
        #expect(plan.subscribe[4]?.count == 10 && plan.subscribe[9]?.count == 5)
        #expect(plan.open.map(\.connection) == [10, 11] && plan.open.map(\.streams.count) == [200, 15])
        let after = plan.applied(to: current)
        #expect(after.values.reduce(0) { $0 + $1.count } == 615 && after.values.allSatisfy { $0.count <= 200 })
    }

    @Test func removedStreamsAreUnsubscribedWhereTheyAre() {
        let current: [ConnectionID: Set<StreamName>] = [1: Self.streams(200), 2: Self.streams(100, from: 200)]
        let gone = [StreamName.kline("SYM0005USDT")!, StreamName.kline("SYM0250USDT")!]
        let plan = futures.plan(desired: Self.streams(300).subtracting(gone), current: current, nextConnectionID: 3)
        #expect(plan.unsubscribe == [1: [gone[0]], 2: [gone[1]]])
        #expect(plan.subscribe.isEmpty && plan.open.isEmpty && plan.close.isEmpty)
        var nextID = 1
        #expect(plan.requests(limits: .futures, nextID: &nextID)[1]?.first?.json == #"{"method":"UNSUBSCRIBE","params":["sym0005usdt@kline_1m"],"id":1}"#)
    }

    @Test func replacedStreamsReuseTheFreedRoomAndEmptiedConnectionsClose() {
        let current: [ConnectionID: Set<StreamName>] = [1: Self.streams(200), 2: Self.streams(10, from: 200), 3: Self.streams(5, from: 210)]
        // Drop 20 from connection 1 and all of 2 and 3; add 20 new ones.
        let desired = Self.streams(180, from: 20).union(Self.streams(20, from: 500))
        let plan = futures.plan(desired: desired, current: current, nextConnectionID: 4)
        #expect(plan.unsubscribe[1]?.count == 20)
        #expect(plan.subscribe == [1: Self.streams(20, from: 500).sorted()])
        #expect(plan.close == [2, 3] && plan.open.isEmpty)
        var nextID = 1
        let requests = plan.requests(limits: .futures, nextID: &nextID)
        // Unsubscribe first, so the connection never holds more than its cap.
        #expect(requests[1]?.map(\.method) == [.unsubscribe, .subscribe])
        #expect(plan.applied(to: current) == [1: desired])
    }

    @Test func aStreamHeldTwiceStaysOnTheLowerConnection() {
        let shared = StreamName.kline("BTCUSDT")!
        let current: [ConnectionID: Set<StreamName>] = [1: [shared], 2: [shared, StreamName.kline("ETHUSDT")!]]
        let plan = futures.plan(desired: [shared, StreamName.kline("ETHUSDT")!], current: current, nextConnectionID: 3)
        #expect(plan.unsubscribe == [2: [shared]] && plan.subscribe.isEmpty && plan.close.isEmpty)
    }

    @Test func marketsArePlannedWithTheirOwnLimits() {
        let spot = Set((0..<1_100).map { StreamName.kline("S\($0)USDT")! })
        let plans = ConnectionPlanner.plan(
            desired: [.spot: spot, .futures: Self.streams(250)], current: [:], nextConnectionID: 1
        )
        #expect(plans[.spot]?.open.map(\.streams.count) == [1_024, 76])
        #expect(plans[.spot]?.open.map(\.connection) == [1, 2])
        #expect(plans[.futures]?.open.map(\.streams.count) == [200, 50])
        #expect(plans[.futures]?.open.map(\.connection) == [3, 4])
    }

    @Test func requestsAreSplitByCountAndBytes() {
        let names = Self.streams(450).sorted()
        var nextID = 1
        let byCount = SubscriptionRequest.batches(.subscribe, streams: names, limits: .futures, nextID: &nextID)
        #expect(byCount.map(\.streams.count) == [200, 200, 50] && byCount.map(\.id) == [1, 2, 3])
        var small = ConnectionLimits.futures
        small.maxMessageBytes = 300
        let byBytes = SubscriptionRequest.batches(.subscribe, streams: names, limits: small, nextID: &nextID)
        #expect(byBytes.allSatisfy { $0.json.utf8.count <= 300 })
        #expect(byBytes.flatMap(\.streams) == names && byBytes.first?.id == 4)
        #expect(SubscriptionRequest(method: .listSubscriptions, streams: [], id: 3).json == #"{"method":"LIST_SUBSCRIPTIONS","id":3}"#)
        // 200 names of 30 characters fit the default 8 KB; 200 of 64 do not.
        let long = (0..<200).map { StreamName.markPrice("LONGSYMBOL\(padded4($0))USD")! }
        #expect(SubscriptionRequest.batches(.unsubscribe, streams: long, limits: .futures, nextID: &nextID).count == 1)
        let longest = (0..<200).map { StreamName.markPrice("SYMBOL\(padded4($0))" + String(repeating: "X", count: 22))! }
        let requests = SubscriptionRequest.batches(.unsubscribe, streams: longest, limits: .futures, nextID: &nextID)
        #expect(requests.allSatisfy { $0.json.utf8.count <= 8_192 } && requests.count == 2)
    }
}

/// `value` zero-padded to 4 digits.
func padded4(_ value: Int) -> String {
    let digits = String(value)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}
