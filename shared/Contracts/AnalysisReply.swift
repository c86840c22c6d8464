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

/// What an inference instance pushes to an on-demand job's reply key when it cannot analyse
/// the job (it dead-letters it): the requester learns why at once instead of timing out.
///
/// | key | value |
/// |---|---|
/// | `_v` | schema version, `2` |
/// | `job_id` | the job answered |
/// | `error` | the dead-letter reason (`unknown_symbol`, `beyond_stored_candles`, `bad_field`…) |
/// | `detail` | one line on what was wrong |
public struct AnalysisFailure: Sendable, Codable, Equatable {
    public var version: Int
    public var jobID: String
    public var error: String
    public var detail: String

    public init(jobID: String, error: String, detail: String) {
        self.version = SchemaVersion.current
        self.jobID = jobID
        self.error = error
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey {
        case version = "_v"
        case jobID = "job_id"
        case error, detail
    }

    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { [UInt8]($0) } ?? []
    }
}

/// An element of a reply list: an analysis or the reason there is none.
public enum OnDemandReply: Sendable, Equatable {
    case analysis(AnalysisReply)
    case failure(AnalysisFailure)

    public var jobID: String {
        switch self {
        case .analysis(let reply): reply.jobID
        case .failure(let failure): failure.jobID
        }
    }

    /// - Throws: `ContractError` for JSON that is neither document, or a version not read.
    public static func decode(_ bytes: [UInt8]) throws(ContractError) -> OnDemandReply {
        struct Probe: Decodable {
            var error: String?
        }
        guard let probe = try? JSONDecoder().decode(Probe.self, from: Data(bytes)) else {
            throw ContractError(.malformed, "a reply is not a JSON object")
        }
        guard probe.error != nil else { return .analysis(try AnalysisReply.decode(bytes)) }
        let failure: AnalysisFailure
        do {
            failure = try JSONDecoder().decode(AnalysisFailure.self, from: Data(bytes))
        } catch {
            throw ContractError(.malformed, "not an analysis failure: \(error)")
        }
        _ = try SchemaVersion.check(String(failure.version))
        return .failure(failure)
    }
}
