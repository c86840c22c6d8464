import Analysis
import Core
import Foundation

/// What an inference instance pushes to `reply:{job_id}` (a list, short TTL) for an on-demand
/// job: the stored analysis of the moment, as JSON.
///
/// | key | value |
/// |---|---|
/// | `_v` | schema version, `2` |
/// | `job_id` | the job answered |
/// | `analysis_id` | the `analyses` row |
/// | `market`, `symbol` | |
/// | `moment` | open time of the analysed 1m candle, Unix ms |
/// | `consensus` | the nine votes with reasons, the decision and its summary (`Consensus`) |
/// | `signal_id` | the signal the analysis opened, if any |
/// | `missing_heads` | heads that abstained for want of data |
public struct AnalysisReply: Sendable, Codable, Equatable {
    public var version: Int
    public var jobID: String
    public var analysisID: Int64
    public var moment: Int64
    public var market: Market
    public var symbol: String
    public var consensus: Consensus
    public var signalID: Int64?
    public var missingHeads: [String]

    public init(
        jobID: String, analysisID: Int64, moment: Int64, market: Market, symbol: String, consensus: Consensus, signalID: Int64?,
        missingHeads: [String]
    ) {
        self.version = SchemaVersion.current
        self.jobID = jobID
        self.analysisID = analysisID
        self.moment = moment
        self.market = market
        self.symbol = symbol
        self.consensus = consensus
        self.signalID = signalID
        self.missingHeads = missingHeads
    }

    enum CodingKeys: String, CodingKey {
        case version = "_v"
        case jobID = "job_id"
        case analysisID = "analysis_id"
        case moment, market, symbol, consensus
        case signalID = "signal_id"
        case missingHeads = "missing_heads"
    }

    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { [UInt8]($0) } ?? []
    }

    /// - Throws: `ContractError` for JSON that is not this document or a version not read.
    public static func decode(_ bytes: [UInt8]) throws(ContractError) -> AnalysisReply {
        let reply: AnalysisReply
        do {
            reply = try JSONDecoder().decode(AnalysisReply.self, from: Data(bytes))
        } catch {
            throw ContractError(.malformed, "not an analysis reply: \(error)")
        }
        _ = try SchemaVersion.check(String(reply.version))
        return reply
    }
}
