import Contracts
import Core
import Foundation
import Testing

@Suite struct ContractCodecTests {
    static func named(_ fields: [(String, String)]) -> StreamFields {
        StreamFields(fields.map { (name: $0.0, value: $0.1) })
    }

    @Test func keysCarryThePrefix() {
        let keys = RedisKeys(prefix: "t1:")
        #expect(keys.candles == "t1:candles")
        #expect(keys.candlesStored == "t1:candles:stored")
        #expect(keys.candlesDead == "t1:candles:dead")
        #expect(keys.kline(.spot, "ETHUSDT") == "t1:kline:spot:ETHUSDT")
        #expect(keys.mark("BTCUSDT") == "t1:mark:BTCUSDT")
        #expect(keys.health("ingest", "h-1") == "t1:health:ingest:h-1")
        #expect(keys.shardLease(3) == "t1:lease:ingest:shard:3")
        #expect(keys.reply("j1") == "t1:reply:j1")
        #expect(Set([keys.jobs, keys.jobsNow, keys.jobsDead, keys.signals, keys.schedulerStatus, keys.metricsHistory, keys.alerts]).count == 7)
    }

    @Test func storedCandlesGroupPerSymbolAndRoundTrip() throws {
        let row = CandleEntryTests.row
        var later = row
        later.openTime += 180_000
        later.closeTime += 180_000
        var other = row
        other.symbol = "ETHUSDT"
        let events = StoredCandles.events(for: [later, other, row])
        #expect(events == [
            StoredCandles(market: .futures, symbol: "BTCUSDT", from: row.openTime, to: later.openTime, count: 2),
            StoredCandles(market: .futures, symbol: "ETHUSDT", from: row.openTime, to: row.openTime, count: 1),
        ])
        for event in events { #expect(try StoredCandles(fields: Self.named(event.fields)) == event) }
        var bad = events[0].fields
        bad[5].1 = "9"  // more candles than minutes in the range
        #expect(throws: ContractError.self) { try StoredCandles(fields: Self.named(bad)) }
    }

    @Test func deadLettersKeepTheOriginalFields() throws {
        let original: [(name: String, value: String)] = [("m", "futures"), ("o", "nan"), ("weird", "a\"b\\c\n")]
        let letter = DeadLetter(reason: "bad_field", detail: "field 'o' is not a plain decimal", stream: "ap:candles", id: "1-0", consumer: "c1", at: 5, original: original)
        let decoded = try DeadLetter(fields: Self.named(letter.fields))
        #expect(decoded == letter)
        #expect(decoded.originalFields.map(\.name) == original.map(\.name))
        #expect(decoded.originalFields.map(\.value) == original.map(\.value))
        var broken = letter.fields
        broken[broken.count - 1].1 = "{not json"
        #expect(throws: ContractError.self) { try DeadLetter(fields: Self.named(broken)) }
    }

    @Test func latestKlineAndMarkPriceRoundTrip() throws {
        let latest = LatestKline(row: CandleEntryTests.row, isClosed: false, eventTime: 1_770_004_830_123)
        #expect(try LatestKline(market: .futures, symbol: "BTCUSDT", fields: Self.named(latest.fields)) == latest)
        var bad = latest.fields
        bad[bad.firstIndex { $0.0 == "x" }!].1 = "yes"
        #expect(throws: ContractError.self) { try LatestKline(market: .futures, symbol: "BTCUSDT", fields: Self.named(bad)) }
        let mark = MarkPrice(markPrice: "97000.1", indexPrice: "96990", estimatedSettlePrice: "97001", fundingRate: "-0.00012", nextFundingTime: 1_770_019_200_000, eventTime: 1_770_004_830_000)
        #expect(try MarkPrice(fields: Self.named(mark.fields)) == mark)
        var negative = mark.fields
        negative[1].1 = "-1"
        #expect(throws: ContractError.self) { try MarkPrice(fields: Self.named(negative)) }
    }

    @Test func symbolListRoundTripsAndReadsVersionOne() throws {
        let list = SymbolList(
            version: 3, refreshedAt: "2026-02-02T00:05:00Z",
            futures: [TrackedSymbol(market: .futures, symbol: "BTCUSDT", baseAsset: "BTC", rank: 1, quoteVolume24h: "1000", lastPrice: "97000", priceChangePercent: "1.5")],
            spot: [])
        let bytes = list.encoded()
        #expect(String(decoding: bytes, as: UTF8.self).contains("\"_v\":2"))
        #expect(try SymbolList.decode(bytes) == list)
        #expect(list.symbols == [.futures: ["BTCUSDT"], .spot: []])
        let legacy = #"{"version":3,"refreshed_at":"2026-02-02T00:05:00Z","futures":[],"spot":[{"market":"spot","symbol":"ETHUSDT","base_asset":"ETH","rank":1,"quote_volume_24h":"5","last_price":"3000","price_change_pct":"0"}]}"#
        #expect(try SymbolList.decode(Array(legacy.utf8)).spot.map(\.symbol) == ["ETHUSDT"])
        let future = legacy.replacingOccurrences(of: "{\"version\"", with: "{\"_v\":3,\"version\"")
        do {
            _ = try SymbolList.decode(Array(future.utf8))
            Issue.record("a version 3 list was accepted")
        } catch {
            #expect(error.reason == .unsupportedVersion)
        }
        #expect(throws: ContractError.self) { try SymbolList.decode(Array("[]".utf8)) }
        let change = SymbolListChange(version: 4, changedAt: "2026-02-03T00:05:00Z", added: [MarketSymbol(.spot, "XUSDT")], removed: [])
        #expect(try SymbolListChange.decode(change.encoded()) == change)
    }

    @Test func analysisJobsRoundTripAndRefuseBadFields() throws {
        let job = AnalysisJob(id: "j-1", market: .spot, symbol: "ETHUSDT", moment: 1_770_004_800_000, reason: "on_demand", replyKey: "ap:reply:j-1", enqueuedAt: 7)
        #expect(try AnalysisJob(fields: Self.named(job.fields)) == job)
        let routine = AnalysisJob(id: "j2", market: .futures, symbol: "BTCUSDT", moment: 0, reason: "schedule", enqueuedAt: 1)
        #expect(try AnalysisJob(fields: Self.named(routine.fields)) == routine)
        for (name, value) in [("id", "a b"), ("at", "1770004800001"), ("m", "x"), ("reason", "")] {
            var fields = job.fields
            fields[fields.firstIndex { $0.0 == name }!].1 = value
            #expect(throws: ContractError.self) { try AnalysisJob(fields: Self.named(fields)) }
        }
    }
}

@Suite struct SchedulerContractTests {
    @Test func statusRoundTripsAndRefusesWhatBreaksItsTable() throws {
        let status = SchedulerStatus(
            leader: "host-a-1", mode: "both", symbols: 100, position: "spot:ETHUSDT", cycle: 3, exchangeTime: 1_769_904_060_000,
            nextBatch: 1_769_904_120_000, enqueued: 310, coalesced: 4, skipped: 2, fenced: 0, updated: 1_769_904_061_234)
        let fields = StreamFields(status.fields.map { (name: $0.0, value: $0.1) })
        #expect(try SchedulerStatus(fields: fields) == status)
        #expect(status.fields.first?.0 == "_v" && status.fields.first?.1 == "2")

        var dictionary = Dictionary(uniqueKeysWithValues: status.fields)
        dictionary["_v"] = nil
        #expect(try SchedulerStatus(fields: StreamFields(dictionary)) == status, "version 1 (no _v) is still read")
        for (name, bad) in [("mode", "sometimes"), ("position", "BTCUSDT"), ("enqueued", "-1"), ("cycle", "1e3"), ("_v", "3")] {
            var broken = Dictionary(uniqueKeysWithValues: status.fields)
            broken[name] = bad
            #expect(throws: ContractError.self, "\(name)=\(bad)") { try SchedulerStatus(fields: StreamFields(broken)) }
        }
    }

    @Test func positionsReadBackAndOrderByMarketThenSymbol() throws {
        let position = try MarketSymbol(positionText: "futures:BTCUSDT")
        #expect(position == MarketSymbol(.futures, "BTCUSDT") && position.positionText == "futures:BTCUSDT")
        #expect(MarketSymbol(.futures, "ZUSDT") < MarketSymbol(.spot, "AUSDT"))
        for bad in ["futures", "options:BTCUSDT", "spot:btc usdt", ":BTCUSDT"] {
            #expect(throws: ContractError.self, "\(bad)") { try MarketSymbol(positionText: bad) }
        }
        let keys = RedisKeys(prefix: "ap:")
        #expect(keys.jobQueued(.spot, "ETHUSDT", kind: "close") == "ap:jobs:queued:close:spot:ETHUSDT")
        #expect(keys.schedulerLease == "ap:lease:scheduler" && keys.schedulerPosition == "ap:scheduler:position")
    }
}
