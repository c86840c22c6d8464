import Core
import Foundation
import Testing
@testable import Symbols

@Suite struct EligibilityTests {
    let rules = Eligibility(excludedBases: ["USDC", "fdusd", "EUR"])

    func spot(_ symbol: String, base: String, quote: String = "USDT", status: String = "TRADING", allowed: Bool? = true,
              permissions: [String]? = nil, sets: [[String]]? = [["SPOT", "MARGIN"]]) -> ExchangeSymbol {
        ExchangeSymbol(symbol: symbol, status: status, baseAsset: base, quoteAsset: quote, isSpotTradingAllowed: allowed,
                       permissions: permissions, permissionSets: sets)
    }

    @Test func spotRulesExcludeEachTrapWithAReason() {
        #expect(rules.rejection(of: spot("BTCUSDT", base: "BTC"), market: .spot) == nil)
        #expect(rules.rejection(of: spot("XBREAKUSDT", base: "XBREAK", status: "BREAK"), market: .spot) == "status BREAK")
        #expect(rules.rejection(of: spot("ETHBTC", base: "ETH", quote: "BTC"), market: .spot) == "quote asset BTC")
        #expect(rules.rejection(of: spot("USDCUSDT", base: "USDC"), market: .spot) == "excluded base asset USDC")
        #expect(rules.rejection(of: spot("FDUSDUSDT", base: "FDUSD"), market: .spot) == "excluded base asset FDUSD", "case-insensitive list")
        #expect(rules.rejection(of: spot("EURUSDT", base: "EUR"), market: .spot) == "excluded base asset EUR")
        #expect(rules.rejection(of: spot("BTCUPUSDT", base: "BTCUP", sets: [["LEVERAGED"]]), market: .spot) == "leveraged token")
        #expect(rules.rejection(of: spot("BTCDOWNUSDT", base: "BTCDOWN", permissions: ["LEVERAGED"], sets: nil), market: .spot)
            == "leveraged token", "the legacy permissions field counts too")
        #expect(rules.rejection(of: spot("HALTUSDT", base: "HALT", allowed: false), market: .spot) == "spot trading not allowed")
        // Without the flag, the SPOT permission decides.
        #expect(rules.rejection(of: spot("OLDUSDT", base: "OLD", allowed: nil, permissions: ["SPOT"], sets: nil), market: .spot) == nil)
        #expect(rules.rejection(of: spot("MARGUSDT", base: "MARG", allowed: nil, permissions: ["MARGIN"], sets: nil), market: .spot)
            == "spot trading not allowed")
    }

    @Test func futuresRulesKeepOnlyUSDTPerpetualsThatTrade() {
        func futures(_ symbol: String, base: String, quote: String = "USDT", status: String = "TRADING", contract: String? = "PERPETUAL") -> ExchangeSymbol {
            ExchangeSymbol(symbol: symbol, status: status, baseAsset: base, quoteAsset: quote, contractType: contract)
        }
        #expect(rules.rejection(of: futures("BTCUSDT", base: "BTC"), market: .futures) == nil)
        #expect(rules.rejection(of: futures("BTCUSDT_260327", base: "BTC", contract: "CURRENT_QUARTER"), market: .futures)
            == "contract type CURRENT_QUARTER")
        #expect(rules.rejection(of: futures("BTCUSDC", base: "BTC", quote: "USDC"), market: .futures) == "quote asset USDC")
        #expect(rules.rejection(of: futures("XUSDT", base: "X", status: "SETTLING"), market: .futures) == "status SETTLING")
        #expect(rules.rejection(of: futures("USDCUSDT", base: "USDC"), market: .futures) == "excluded base asset USDC")
        #expect(rules.rejection(of: futures("NOCTUSDT", base: "NOCT", contract: nil), market: .futures) == "contract type missing")
    }

    @Test func rankingIsByQuoteVolumeThenSymbolAndKeepsTheTop() {
        let symbols = ["AUSDT", "BUSDT", "CUSDT", "DUSDT", "EUSDT"].map { spot($0, base: String($0.dropLast(4))) }
        let tickers = [
            Ticker24h(symbol: "AUSDT", quoteVolume: "100.5", lastPrice: "1", priceChangePercent: "0"),
            Ticker24h(symbol: "BUSDT", quoteVolume: "900", lastPrice: "2", priceChangePercent: "-1.5"),
            Ticker24h(symbol: "CUSDT", quoteVolume: "100.50", lastPrice: "3", priceChangePercent: "2"),
            Ticker24h(symbol: "DUSDT", quoteVolume: "5000", lastPrice: "4", priceChangePercent: "0"),
            Ticker24h(symbol: "ZZZUSDT", quoteVolume: "99999999", lastPrice: "4", priceChangePercent: "0"),  // not eligible
        ]
        let ranked = Ranking.rank(eligible: symbols, tickers: tickers, market: .spot, count: 3)
        #expect(ranked.map(\.symbol) == ["DUSDT", "BUSDT", "AUSDT"], "equal volumes fall back to the symbol; EUSDT has no ticker")
        #expect(ranked.map(\.rank) == [1, 2, 3])
        #expect(ranked[1].quoteVolume24h == "900" && ranked[1].priceChangePercent == "-1.5" && ranked[1].baseAsset == "B")
        #expect(Ranking.rank(eligible: symbols, tickers: tickers, market: .spot, count: 0).isEmpty)
        #expect(Ranking.rank(eligible: symbols, tickers: tickers, market: .spot, count: 50).count == 4)
    }

    @Test func aTrustworthyListHoldsHalfOfWhatCouldBeTracked() {
        #expect(Ranking.minimumTrusted(configured: 50, eligible: 400, previouslyTracked: 0) == 25)
        #expect(Ranking.minimumTrusted(configured: 50, eligible: 7, previouslyTracked: 0) == 4)
        #expect(Ranking.minimumTrusted(configured: 50, eligible: 3, previouslyTracked: 50) == 25, "a truncated exchangeInfo cannot shrink the list")
        #expect(Ranking.minimumTrusted(configured: 10, eligible: 400, previouslyTracked: 50) == 5)
        #expect(Ranking.minimumTrusted(configured: 0, eligible: 400, previouslyTracked: 50) == 0)
    }

    @Test func tickersWithValuesThatAreNotDecimalsAreRejected() throws {
        func decode(_ json: String) throws -> [Ticker24h] {
            try JSONDecoder().decode([Ticker24h].self, from: Data(json.utf8))
        }
        let good = try decode(#"[{"symbol":"BTCUSDT","quoteVolume":"123.45","lastPrice":"60000.1","priceChangePercent":"-1.2","count":5}]"#)
        #expect(good.first?.quoteVolumeValue == 123.45)
        for bad in [#""quoteVolume":"NaN""#, #""quoteVolume":"-5""#, #""quoteVolume":"1e400""#, #""quoteVolume":"12,5""#,
                    #""quoteVolume":123"#, #""quoteVolume":"""#] {
            let json = #"[{"symbol":"BTCUSDT","#  + bad + #","lastPrice":"1","priceChangePercent":"0"}]"#
            #expect(throws: DecodingError.self, "\(bad)") { try decode(json) }
        }
        #expect(throws: DecodingError.self) { try decode(#"[{"symbol":"BTCUSDT","lastPrice":"1","priceChangePercent":"0"}]"#) }
    }
}
