import Foundation
import Hummingbird
import Logging
import REST
import Synchronization
import Testing
import TestSupport
@testable import Replay

/// The REST routes against a running server over the real futures archive
/// (deploy/replay-data/futures, February 2026), talked to with our libcurl client.
@Suite struct RESTRoutesTests {
    static let fixtures = Fixtures.futuresKlines
    /// 2026-02-10 00:00 UTC; the replay clock is frozen there so answers are deterministic.
    static let now: Int64 = 1_770_681_600_000
    /// The same archive served as a spot market.
    static let spotData = SharedValue("fixture.spot") { try MarketData.load(market: .spot, directories: [fixtures]) }

    // MARK: Klines

    @Test func futuresKlinesEqualTheArchiveRowsFieldByField() async throws {
        let archive = try Self.archiveRows("LINKUSDT")
        try await withRESTServer { base, _ in
            let start = Self.now - 1_500 * 60_000
            let rows = try await Self.klineRows(
                base + "/fapi/v1/klines", [("symbol", "LINKUSDT"), ("interval", "1m"), ("startTime", "\(start)"), ("limit", "1500")])
            #expect(rows.count == 1_500)
            for (index, row) in rows.enumerated() {
                let openTime = start + Int64(index) * 60_000
                let expected = try #require(archive[openTime], "archive has \(openTime)")
                #expect(row == expected, "row \(index) (open time \(openTime))")
            }
        }
    }

    @Test func spotKlinesServeLatestByDefaultWithTheOpenCandleLast() async throws {
        let archive = try Self.archiveRows("DOTUSDT")
        try await withRESTServer { base, _ in
            let rows = try await Self.klineRows(base + "/api/v3/klines", [("symbol", "DOTUSDT"), ("interval", "1m")])
            #expect(rows.count == 500, "default limit")
            #expect(rows.last?.first == "\(Self.now)", "the candle open at now comes last")
            #expect(rows.dropLast().last == archive[Self.now - 60_000], "the last closed candle is the archive row")
            let ending = try await Self.klineRows(
                base + "/api/v3/klines",
                [("symbol", "DOTUSDT"), ("interval", "1m"), ("endTime", "\(Self.now - 3_600_000)"), ("limit", "3")])
            #expect(ending == [-120, -60, 0].compactMap { archive[Self.now - 3_600_000 + $0 * 1_000] })
        }
    }

    @Test func higherIntervalsAggregateTheMinutes() async throws {
        let archive = try Self.archiveRows("ALGOUSDT")
        try await withRESTServer { base, _ in
            let hourStart = Self.now - 3_600_000
            let rows = try await Self.klineRows(
                base + "/fapi/v1/klines",
                [("symbol", "algousdt"), ("interval", "1h"), ("startTime", "\(hourStart)"), ("limit", "1")])
            let row = try #require(rows.first)
            let minutes = (0..<60).compactMap { archive[hourStart + Int64($0) * 60_000] }
            #expect(minutes.count == 60)
            #expect(row[0] == "\(hourStart)" && row[6] == "\(Self.now - 1)")
            #expect(row[1] == minutes.first?[1] && row[4] == minutes.last?[4])
            #expect(Double(row[2]) == minutes.compactMap { Double($0[2]) }.max())
            #expect(Double(row[3]) == minutes.compactMap { Double($0[3]) }.min())
            #expect(Int(row[8]) == minutes.compactMap { Int($0[8]) }.reduce(0, +))
        }
    }

    @Test func klineParametersAreValidatedAsBinanceDoes() async throws {
        try await withRESTServer { base, _ in
            let spot = base + "/api/v3/klines"
            let futures = base + "/fapi/v1/klines"
            let cases: [(String, [(String, String)], Int, String)] = [
                (spot, [("interval", "1m")], -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."),
                (spot, [("symbol", ""), ("interval", "1m")], -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."),
                (spot, [("symbol", "NOPEUSDT"), ("interval", "1m")], -1121, "Invalid symbol."),
                (spot, [("symbol", "dotusdt"), ("interval", "1m")], -1100,
                 "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'."),
                (spot, [("symbol", "DOTUSDT")], -1102, "Mandatory parameter 'interval' was not sent, was empty/null, or malformed."),
                (spot, [("symbol", "DOTUSDT"), ("interval", "2h")], -1120, "Invalid interval."),
                (spot, [("symbol", "DOTUSDT"), ("interval", "1m"), ("limit", "1001")], -1130, "Data sent for parameter 'limit' is not valid."),
                (spot, [("symbol", "DOTUSDT"), ("interval", "1m"), ("limit", "0")], -1130, "Data sent for parameter 'limit' is not valid."),
                (spot, [("symbol", "DOTUSDT"), ("interval", "1m"), ("limit", "ten")], -1100,
                 "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'."),
                (spot, [("symbol", "DOTUSDT"), ("interval", "1m"), ("startTime", "-5")], -1100,
                 "Illegal characters found in parameter 'startTime'; legal range is '^[0-9]{1,20}$'."),
                (spot, [("symbol", "DOTUSDT"), ("interval", "1m"), ("startTime", "2"), ("endTime", "1")], -1023,
                 "Start time is greater than end time."),
                (futures, [("symbol", "DOTUSDT"), ("interval", "1m"), ("limit", "1501")], -1130, "Data sent for parameter 'limit' is not valid."),
                (futures, [("symbol", "NOPEUSDT"), ("interval", "1m")], -1121, "Invalid symbol."),
            ]
            for (url, query, code, message) in cases {
                let error = try await Self.failure(url, query)
                #expect(error.status == 400, "\(query)")
                #expect(Self.errorBody(error) == BinanceErrorBody(code: code, msg: message), "\(query)")
            }
            let maximal = try await Self.klineRows(futures, [("symbol", "DOTUSDT"), ("interval", "5m"), ("limit", "1500")])
            #expect(maximal.count == 1_500)
        }
    }

    @Test func unknownPathsAndUnconfiguredMarketsAnswer404() async throws {
        try await withRESTServer(spot: false) { base, _ in
            for path in ["/api/v3/ping", "/api/v3/klines", "/fapi/v1/nothing", "/fapi/v2/ticker/24hr"] {
                let error = try await Self.failure(base + path)
                #expect(error.status == 404, "\(path)")
            }
            #expect(try await Self.client().get(base + "/fapi/v1/ping").text == "{}")
        }
    }

    // MARK: Shapes

    @Test func spotExchangeInfoHasWhatABinanceClientReads() async throws {
        try await withRESTServer { base, _ in
            let response = try await Self.client().get(base + "/api/v3/exchangeInfo")
            #expect(response.usedWeight1m == 20)
            let info = try response.json(SpotExchangeInfo.self)
            #expect(info.timezone == "UTC" && info.serverTime == Self.now)
            #expect(info.rateLimits.first == RateLimit(rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 6_000))
            #expect(info.symbols.map(\.symbol) == ["ALGOUSDT", "AVAXUSDT", "DOTUSDT", "FILUSDT", "LINKUSDT", "LTCUSDT", "NEARUSDT"])
            let spot = try await Self.spotData.get()
            for symbol in info.symbols {
                let expected = try #require(spot.info(symbol.symbol))
                #expect(symbol.status == expected.status && symbol.baseAsset == expected.baseAsset && symbol.quoteAsset == expected.quoteAsset)
                #expect(symbol.filters.first { $0.filterType == "PRICE_FILTER" }?.tickSize == expected.tickSize)
                #expect(symbol.filters.first { $0.filterType == "LOT_SIZE" }?.stepSize == expected.stepSize)
                #expect(symbol.permissionSets == [expected.permissions])
                #expect(symbol.isSpotTradingAllowed == expected.isSpotTradingAllowed)
            }

            let one = try await Self.client().get(base + "/api/v3/exchangeInfo", query: [("symbol", "LTCUSDT")]).json(SpotExchangeInfo.self)
            #expect(one.symbols.map(\.symbol) == ["LTCUSDT"])
            let two = try await Self.client().get(base + "/api/v3/exchangeInfo", query: [("symbols", #"["NEARUSDT","DOTUSDT"]"#)])
                .json(SpotExchangeInfo.self)
            #expect(two.symbols.map(\.symbol) == ["NEARUSDT", "DOTUSDT"])
            let unknown = try await Self.failure(base + "/api/v3/exchangeInfo", [("symbols", #"["NEARUSDT","NOPE"]"#)])
            #expect(Self.errorBody(unknown)?.code == -1121)
            let malformed = try await Self.failure(base + "/api/v3/exchangeInfo", [("symbols", "NEARUSDT")])
            #expect(Self.errorBody(malformed)?.code == -1100)
        }
    }

    @Test func futuresExchangeInfoHasWhatABinanceClientReads() async throws {
        try await withRESTServer { base, _ in
            let response = try await Self.client().get(base + "/fapi/v1/exchangeInfo")
            #expect(response.usedWeight1m == 1 && response.headers["X-MBX-USED-WEIGHT"] == "1")
            let info = try response.json(FuturesExchangeInfo.self)
            #expect(info.rateLimits.first?.limit == 2_400)
            #expect(info.symbols.count == 7)
            let futures = try await SharedFixture.futures()
            for symbol in info.symbols {
                let expected = try #require(futures.info(symbol.symbol))
                #expect(symbol.pair == symbol.symbol && symbol.contractType == "PERPETUAL" && symbol.deliveryDate == 4_133_404_800_000)
                #expect(symbol.marginAsset == "USDT" && symbol.quoteAsset == "USDT" && symbol.underlyingType == "COIN")
                #expect(symbol.pricePrecision == expected.scales.price && symbol.quantityPrecision == expected.scales.volume)
                #expect(symbol.onboardDate <= Self.now)
                #expect(symbol.filters.first { $0.filterType == "PRICE_FILTER" }?.tickSize == expected.tickSize)
            }
        }
    }

    @Test func tickersCarryEveryDocumentedField() async throws {
        try await withRESTServer { base, _ in
            let spotOne = try await Self.client().get(base + "/api/v3/ticker/24hr", query: [("symbol", "LINKUSDT")])
            #expect(spotOne.usedWeight1m == 2)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(spotOne.body)) as? [String: Any])
            #expect(Set(object.keys) == Self.spotTickerFields)
            let ticker = try spotOne.json(Ticker.self)
            let closes = try await Self.klineRows(base + "/api/v3/klines", [("symbol", "LINKUSDT"), ("interval", "1m"), ("limit", "1")])
            #expect(ticker.lastPrice == closes.first?[4], "the ticker's last price is the open candle's close")
            #expect(ticker.count > 0 && ticker.closeTime <= Self.now && ticker.openTime >= Self.now - 86_400_000)

            let spotAll = try await Self.client().get(base + "/api/v3/ticker/24hr")
            #expect(spotAll.usedWeight1m == 2 + 2 + 80)
            #expect(try spotAll.json([Ticker].self).count == 7)
            let mini = try await Self.client().get(base + "/api/v3/ticker/24hr", query: [("symbol", "LINKUSDT"), ("type", "MINI")])
            let miniObject = try #require(try JSONSerialization.jsonObject(with: Data(mini.body)) as? [String: Any])
            #expect(miniObject["bidPrice"] == nil && miniObject["lastPrice"] != nil)

            let futuresOne = try await Self.client().get(base + "/fapi/v1/ticker/24hr", query: [("symbol", "LINKUSDT")])
            let futuresObject = try #require(try JSONSerialization.jsonObject(with: Data(futuresOne.body)) as? [String: Any])
            #expect(Set(futuresObject.keys) == Self.futuresTickerFields)
            let futuresAll = try await Self.client().get(base + "/fapi/v1/ticker/24hr")
            #expect(futuresAll.usedWeight1m == 41)
            #expect(try futuresAll.json([Ticker].self).map(\.symbol).count == 7)
            let unknown = try await Self.failure(base + "/fapi/v1/ticker/24hr", [("symbol", "NOPEUSDT")])
            #expect(Self.errorBody(unknown) == BinanceErrorBody(code: -1121, msg: "Invalid symbol."))
        }
    }

    @Test func futuresOnlyEndpointsAnswerBinanceShapes() async throws {
        try await withRESTServer { base, _ in
            let one = try await Self.client().get(base + "/fapi/v1/premiumIndex", query: [("symbol", "LTCUSDT")])
            let index = try one.json(PremiumIndexBody.self)
            #expect(index.symbol == "LTCUSDT" && index.time == Self.now && Double(index.markPrice) ?? 0 > 0)
            let all = try await Self.client().get(base + "/fapi/v1/premiumIndex")
            #expect(try all.json([PremiumIndexBody].self).count == 7)
            #expect(all.usedWeight1m == 1 + 10)
            let rates = try await Self.client().get(base + "/fapi/v1/fundingRate", query: [("symbol", "LTCUSDT"), ("limit", "5")])
                .json([FundingRateBody].self)
            #expect(rates.count == 5 && rates.allSatisfy { $0.symbol == "LTCUSDT" && $0.fundingTime <= Self.now })
            #expect(zip(rates, rates.dropFirst()).allSatisfy { $0.fundingTime < $1.fundingTime }, "oldest first")
            let interest = try await Self.client().get(base + "/fapi/v1/openInterest", query: [("symbol", "LTCUSDT")])
                .json(OpenInterestBody.self)
            #expect(interest.symbol == "LTCUSDT" && Double(interest.openInterest) ?? 0 > 0)
            let problems: [(String, [(String, String)], Int)] = [
                ("/fapi/v1/openInterest", [], -1102),
                ("/fapi/v1/openInterest", [("symbol", "NOPEUSDT")], -1121),
                ("/fapi/v1/fundingRate", [("limit", "1001")], -1130),
                ("/futures/data/globalLongShortAccountRatio", [("symbol", "LTCUSDT")], -1102),
                ("/futures/data/globalLongShortAccountRatio", [("symbol", "LTCUSDT"), ("period", "7m")], -1130),
                ("/futures/data/globalLongShortAccountRatio", [("symbol", "LTCUSDT"), ("period", "5m"), ("limit", "501")], -1130),
            ]
            for (path, query, code) in problems {
                let error = try await Self.failure(base + path, query)
                #expect(error.status == 400 && Self.errorBody(error)?.code == code, "\(path) \(query)")
            }
            let ratios = try await Self.client().get(
                base + "/futures/data/globalLongShortAccountRatio", query: [("symbol", "LTCUSDT"), ("period", "5m"), ("limit", "3")])
            let rows = try ratios.json([LongShortBody].self)
            #expect(rows.count == 3 && rows.allSatisfy { $0.timestamp <= Self.now && $0.timestamp % 300_000 == 0 })
            // Open-interest history on the same 5-minute grid; its newest sample is what openInterest reports.
            let history = try await Self.client().get(
                base + "/futures/data/openInterestHist", query: [("symbol", "LTCUSDT"), ("period", "5m"), ("limit", "4")]).json([OpenInterestHistBody].self)
            #expect(history.count == 4 && history.allSatisfy { $0.symbol == "LTCUSDT" && $0.timestamp <= Self.now && $0.timestamp % 300_000 == 0 })
            #expect(zip(history, history.dropFirst()).allSatisfy { $1.timestamp - $0.timestamp == 300_000 }, "oldest first, one per period")
            #expect(history.last?.sumOpenInterest == interest.openInterest)
            #expect(history.allSatisfy { (Double($0.sumOpenInterestValue) ?? 0) > (Double($0.sumOpenInterest) ?? 0) }, "valued at LTC's price")
            let hourly = try await Self.client().get(
                base + "/futures/data/openInterestHist", query: [("symbol", "LTCUSDT"), ("period", "1h"), ("limit", "2")]).json([OpenInterestHistBody].self)
            #expect(hourly.count == 2 && hourly.allSatisfy { $0.timestamp % 3_600_000 == 0 })
            // premiumIndex 1 + 10, fundingRate 1, openInterest 1, the rejected requests 2 + 1 (Binance
            // charges bad requests too); the statistics endpoint carries no request weight.
            #expect(ratios.usedWeight1m == 1 + 10 + 1 + 1 + 3)
        }
    }

    @Test func pingTimeAndStatus() async throws {
        try await withRESTServer { base, _ in
            #expect(try await Self.client().get(base + "/api/v3/ping").text == "{}")
            #expect(try await Self.client().get(base + "/api/v3/time").text == "{\"serverTime\":\(Self.now)}")
            #expect(try await Self.client().get(base + "/fapi/v1/time").text == "{\"serverTime\":\(Self.now)}")
            let status = try await Self.client().get(base + "/_replay/status")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(status.body)) as? [String: Any])
            #expect((object["now"] as? NSNumber)?.int64Value == Self.now)
            let markets = try #require(object["markets"] as? [String: [String: Any]])
            #expect((markets["futures"]?["symbols"] as? NSNumber)?.intValue == 7)
            #expect((markets["spot"]?["symbols"] as? NSNumber)?.intValue == 7)
        }
    }
}

// MARK: Rate limits and faults

extension RESTRoutesTests {
    @Test func weightIsReportedThen429ThenBanned418() async throws {
        var options = ReplayOptions()
        options.spotWeightLimit = 10
        options.requestsAfter429BeforeBan = 2
        options.banSeconds = 60
        try await withRESTServer(options: options) { base, _ in
            let klines = base + "/api/v3/klines"
            let query = [("symbol", "LTCUSDT"), ("interval", "1m"), ("limit", "1")]
            for expected in [2, 4, 6, 8, 10] {
                #expect(try await Self.client().get(klines, query: query).usedWeight1m == expected)
            }
            let limited = try await Self.failure(klines, query)
            #expect(limited.code == .rateLimited && limited.status == 429)
            #expect(limited.retryAfter == .seconds(59), "until the minute ends")
            #expect(Self.errorBody(limited) == BinanceErrorBody(
                code: -1003,
                msg: "Too many requests; current limit of IP(127.0.0.1) request weight per 1 MINUTE is 10. "
                    + "Please use WebSocket Streams for live updates to avoid polling the API."))
            for _ in 0..<2 { #expect(try await Self.failure(klines, query).status == 429) }

            let banned = try await Self.failure(base + "/api/v3/ping")
            #expect(banned.code == .banned && banned.status == 418)
            #expect(banned.retryAfter == .seconds(60))
            let body = try #require(Self.errorBody(banned))
            #expect(body.code == -1003)
            #expect(body.msg.hasPrefix("Way too many requests; IP(127.0.0.1) banned until "))
            #expect(body.msg.hasSuffix(". Please use WebSocket Streams for live updates to avoid bans."))
            #expect(try await Self.failure(base + "/api/v3/time").status == 418, "every request is refused during the ban")

            // Another market and another client are counted apart.
            #expect(try await Self.client().get(base + "/fapi/v1/ping").usedWeight1m == 1)
            let other = try await Self.client().get(base + "/api/v3/ping", headers: ["X-Forwarded-For": "10.1.2.3"])
            #expect(other.usedWeight1m == 1)

            _ = try await Self.client().execute(.init(method: .post, url: base + "/_replay/reset-weights"))
            #expect(try await Self.client().get(base + "/api/v3/ping").usedWeight1m == 1)
        }
    }

    @Test func restFaultAnswersTheStatusUntilCleared() async throws {
        try await withRESTServer { base, _ in
            let set = try await Self.control(base + "/_replay/rest-fault", #"{"status":503,"seconds":600}"#)
            #expect(set.contains("\"fault\":\"status\"") && set.contains("\"status\":503"))
            for path in ["/api/v3/klines", "/fapi/v1/ping", "/fapi/v1/exchangeInfo"] {
                let error = try await Self.failure(base + path)
                #expect(error.status == 503, "\(path)")
                #expect(Self.errorBody(error)?.code == -1001)
            }
            // The control API itself keeps answering.
            #expect(try await Self.client().get(base + "/_replay/status").text.contains("\"status\":503"))
            _ = try await Self.control(base + "/_replay/rest-fault/clear", "")
            #expect(try await Self.client().get(base + "/fapi/v1/ping").status == 200)

            // Long enough that the failing request cannot miss it on a loaded machine.
            let short = try await Self.control(base + "/_replay/rest-fault", #"{"status":500,"seconds":4}"#)
            #expect(short.contains("\"status\":500"))
            #expect(try await Self.failure(base + "/fapi/v1/ping").status == 500)
            try await Task.sleep(for: .milliseconds(4_200))
            #expect(try await Self.client().get(base + "/fapi/v1/ping").status == 200, "the fault ends by itself")
        }
    }

    /// Binance's 429 and 418 carry `Retry-After`; injected ones do too, with the fault's remaining
    /// time, so clients are tested against what they meet. Other statuses carry none.
    @Test func injectedRateLimitsAndBansCarryRetryAfter() async throws {
        try await withRESTServer { base, _ in
            _ = try await Self.control(base + "/_replay/rest-fault", #"{"status":429,"seconds":600}"#)
            let limited = try await Self.failure(base + "/fapi/v1/klines")
            #expect(limited.status == 429)
            #expect(Self.errorBody(limited)?.code == -1003)
            // 600 s from the fault's start, rounded up: at most 600, and not far below it.
            let wait = try #require(limited.retryAfter)
            #expect(wait <= .seconds(600) && wait >= .seconds(540), "\(wait)")

            _ = try await Self.control(base + "/_replay/rest-fault", #"{"status":418,"seconds":300}"#)
            let banned = try await Self.failure(base + "/api/v3/exchangeInfo")
            #expect(banned.status == 418)
            let ban = try #require(banned.retryAfter)
            #expect(ban <= .seconds(300) && ban >= .seconds(240), "\(ban)")
            // A fraction of a second left is announced as 1 s, never 0 (a retry storm).
            #expect(BinanceError.serverFault(status: 418, retryAfter: 0).retryAfter == 1)
            #expect(BinanceError.serverFault(status: 429, retryAfter: 0).retryAfter == 1)

            _ = try await Self.control(base + "/_replay/rest-fault", #"{"status":503,"seconds":600}"#)
            let unavailable = try await Self.failure(base + "/fapi/v1/ping")
            #expect(unavailable.status == 503)
            #expect(unavailable.retryAfter == nil)
            _ = try await Self.control(base + "/_replay/rest-fault/clear", "")
        }
    }

    @Test func restTimeoutHangsUntilTheClientGivesUpOrTheFaultEnds() async throws {
        try await withRESTServer { base, _ in
            _ = try await Self.control(base + "/_replay/rest-fault", #"{"timeout":true,"seconds":30}"#)
            let started = ContinuousClock.now
            let error = try await Self.failure(base + "/fapi/v1/time", timeout: .seconds(1))
            #expect(error.code == .timeout)
            #expect(ContinuousClock.now - started >= .milliseconds(900))

            // A waiting request is answered as soon as the fault is cleared.
            let waiting = Task { try await Self.client(timeout: .seconds(20)).get(base + "/fapi/v1/time").text }
            try await Task.sleep(for: .milliseconds(300))
            _ = try await Self.control(base + "/_replay/rest-fault/clear", "")
            #expect(try await waiting.value == "{\"serverTime\":\(Self.now)}")
        }
    }

    @Test func bodyFaultsDamageSuccessfulAnswers() async throws {
        try await withRESTServer { base, _ in
            let whole = try await Self.client().get(base + "/fapi/v1/ticker/24hr").text
            let count = try #require(try JSONSerialization.jsonObject(with: Data(whole.utf8)) as? [Any]).count
            #expect(count > 3)

            let set = try await Self.control(base + "/_replay/rest-fault", #"{"body":"truncated","seconds":10}"#)
            #expect(set.contains("\"fault\":\"body\"") && set.contains("\"body\":\"truncated\""))
            let truncated = try await Self.client().get(base + "/fapi/v1/ticker/24hr")
            #expect(truncated.status == 200)
            #expect(truncated.text == String(whole.prefix(whole.count / 2)))
            #expect((try? JSONSerialization.jsonObject(with: Data(truncated.body))) == nil)

            _ = try await Self.control(base + "/_replay/rest-fault", #"{"body":"malformed","seconds":10}"#)
            let malformed = try await Self.client().get(base + "/fapi/v1/exchangeInfo")
            #expect(malformed.status == 200 && malformed.text.hasPrefix("<html>"))

            _ = try await Self.control(base + "/_replay/rest-fault", #"{"body":"short","seconds":10}"#)
            let short = try await Self.client().get(base + "/fapi/v1/ticker/24hr").text
            #expect(try #require(try JSONSerialization.jsonObject(with: Data(short.utf8)) as? [Any]).count == 3)
            // Objects pass unchanged.
            #expect(try await Self.client().get(base + "/fapi/v1/time").text == "{\"serverTime\":\(Self.now)}")

            _ = try await Self.control(base + "/_replay/rest-fault/clear", "")
            #expect(try await Self.client().get(base + "/fapi/v1/ticker/24hr").text == whole)
        }
    }

    @Test func badControlBodiesAreRejected() async throws {
        try await withRESTServer { base, _ in
            for body in ["", "{}", #"{"status":200,"seconds":1}"#, #"{"status":503}"#, #"{"status":503,"seconds":-1}"#,
                         #"{"status":503,"timeout":true,"seconds":1}"#, #"{"body":"garbled","seconds":1}"#,
                         #"{"body":"short","status":503,"seconds":1}"#] {
                let error = try await Self.failure(base + "/_replay/rest-fault", method: .post, body: body)
                #expect(error.status == 400, "\(body)")
            }
            #expect(try await Self.client().get(base + "/fapi/v1/ping").status == 200)
        }
    }
}

// MARK: Helpers

extension RESTRoutesTests {
    static let spotTickerFields: Set<String> = [
        "symbol", "priceChange", "priceChangePercent", "weightedAvgPrice", "prevClosePrice", "lastPrice", "lastQty",
        "bidPrice", "bidQty", "askPrice", "askQty", "openPrice", "highPrice", "lowPrice", "volume", "quoteVolume",
        "openTime", "closeTime", "firstId", "lastId", "count",
    ]
    static let futuresTickerFields: Set<String> = [
        "symbol", "priceChange", "priceChangePercent", "weightedAvgPrice", "lastPrice", "lastQty", "openPrice",
        "highPrice", "lowPrice", "volume", "quoteVolume", "openTime", "closeTime", "firstId", "lastId", "count",
    ]

    /// Runs a server with the REST routes over the fixture (spot and futures, clock frozen at
    /// `now`) on a free loopback port until `body` returns.
    func withRESTServer(
        spot: Bool = true, options: ReplayOptions = ReplayOptions(),
        _ body: @Sendable (String, RESTFaults) async throws -> Void
    ) async throws {
        var logger = Logger(label: "replay.rest.test")
        logger.logLevel = .critical
        let state = ReplayState(
            clock: ReplayClock(start: Self.now, speed: 0), spot: spot ? try await Self.spotData.get() : nil,
            futures: try await SharedFixture.futures(), options: options, logger: logger)
        let faults = RESTFaults()
        let router = Router()
        RESTRoutes.register(on: router, state: state, faults: faults, wallMillis: { Self.frozenWallMillis })
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            defer { group.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            faults.clear()
            try await body("http://127.0.0.1:\(port)", faults)
            faults.clear()
        }
    }

    /// A client that neither retries nor waits out 429s, so each call shows one answer; a new
    /// one per request, since a client that saw a 429 or 418 refuses to send.
    static func client(timeout: Duration = .seconds(60)) -> RESTClient {
        RESTClient(configuration: .init(timeout: timeout, connectTimeout: .seconds(30), maxRetries: 0, maxRetryAfterWait: .zero))
    }

    /// The error a request fails with (a test failure if it succeeds).
    static func failure(
        _ url: String, _ query: [(String, String)] = [], method: RESTClient.Method = .get, body: String? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> RESTError {
        do {
            let response = try await client(timeout: timeout).execute(
                .init(method: method, url: url, query: query.map { (name: $0.0, value: $0.1) }, body: body.map { Array($0.utf8) }))
            Issue.record("expected \(url) \(query) to fail, got \(response.status): \(response.text)")
            throw Unexpected()
        } catch let error as RESTError {
            return error
        }
    }

    /// POSTs a control request and returns the answer's text.
    static func control(_ url: String, _ body: String) async throws -> String {
        try await client().execute(.init(method: .post, url: url, body: Array(body.utf8))).text
    }

    static func errorBody(_ error: RESTError) -> BinanceErrorBody? {
        error.bodySnippet.flatMap { try? JSONDecoder().decode(BinanceErrorBody.self, from: Data($0.utf8)) }
    }

    /// Kline rows with every field as text (numbers in decimal), to compare with CSV rows.
    static func klineRows(_ url: String, _ query: [(String, String)]) async throws -> [[String]] {
        let response = try await client().get(url, query: query.map { (name: $0.0, value: $0.1) })
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [[Any]])
        return rows.map { row in
            row.map { field in
                if let text = field as? String { return text }
                return (field as? NSNumber).map { "\($0.int64Value)" } ?? "?"
            }
        }
    }

    /// The archive's rows by open time, every field as the CSV has it.
    static func archiveRows(_ symbol: String) throws -> [Int64: [String]] {
        let text = try Fixtures.futuresMonth(symbol)
        var rows: [Int64: [String]] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",").map(String.init)
            if let openTime = Int64(fields[0]) { rows[openTime] = fields }
        }
        return rows
    }

    /// Sleeps into the next wall-clock minute when less than 20 s are left of this one.
    /// The weight limiter's wall clock in these tests: frozen a second into a minute, so weights
    /// add up however slowly a loaded machine serves the requests.
    static let frozenWallMillis: Int64 = 1_765_000_000_000 / 60_000 * 60_000 + 1_000

    struct Unexpected: Error {}
}

/// What a Binance client decodes from the answers.
extension RESTRoutesTests {
    struct BinanceErrorBody: Decodable, Equatable {
        let code: Int
        let msg: String
    }

    struct RateLimit: Decodable, Equatable {
        let rateLimitType: String
        let interval: String
        let intervalNum: Int
        let limit: Int
    }

    struct Filter: Decodable {
        let filterType: String
        let tickSize: String?
        let stepSize: String?
    }

    struct SpotExchangeInfo: Decodable {
        struct Symbol: Decodable {
            let symbol, status, baseAsset, quoteAsset: String
            let baseAssetPrecision, quotePrecision, quoteAssetPrecision: Int
            let orderTypes: [String]
            let isSpotTradingAllowed, isMarginTradingAllowed: Bool
            let permissions: [String]
            let permissionSets: [[String]]
            let filters: [Filter]
        }
        let timezone: String
        let serverTime: Int64
        let rateLimits: [RateLimit]
        let symbols: [Symbol]
    }

    struct FuturesExchangeInfo: Decodable {
        struct Symbol: Decodable {
            let symbol, pair, contractType, status, baseAsset, quoteAsset, marginAsset, underlyingType: String
            let deliveryDate, onboardDate: Int64
            let pricePrecision, quantityPrecision: Int
            let filters: [Filter]
        }
        let timezone: String
        let serverTime: Int64
        let rateLimits: [RateLimit]
        let symbols: [Symbol]
    }

    struct Ticker: Decodable {
        let symbol, priceChange, priceChangePercent, weightedAvgPrice, lastPrice, openPrice, highPrice, lowPrice: String
        let volume, quoteVolume: String
        let openTime, closeTime, firstId, lastId, count: Int64
    }

    struct PremiumIndexBody: Decodable {
        let symbol, markPrice, indexPrice, estimatedSettlePrice, lastFundingRate, interestRate: String
        let nextFundingTime, time: Int64
    }

    struct FundingRateBody: Decodable {
        let symbol, fundingRate, markPrice: String
        let fundingTime: Int64
    }

    struct OpenInterestBody: Decodable {
        let symbol, openInterest: String
        let time: Int64
    }

    struct OpenInterestHistBody: Decodable {
        let symbol, sumOpenInterest, sumOpenInterestValue: String
        let timestamp: Int64
    }

    struct LongShortBody: Decodable {
        let symbol, longShortRatio, longAccount, shortAccount: String
        let timestamp: Int64
    }
}
