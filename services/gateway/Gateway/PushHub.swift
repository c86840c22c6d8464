import CandleStore
import Contracts
import Core
import Foundation
import Logging
import Metrics
import Postgres
import Redis
import ServiceLifecycle
import Synchronization

/// The gateway's WebSocket push: the connected clients and the loops that feed them, one set
/// per gateway whatever the number of clients.
///
/// - `signal` and `outcome` messages: the `signals` stream, read with a blocking XREAD
///   (a client may resume from a stream id; see `resume`).
/// - `kline` messages for `klines:{market}:{symbol}`: each committed 1m candle, from the
///   `candles:stored` stream and PostgreSQL, and the open kline of `kline:{market}:{symbol}`
///   at most once a second while it changes.
/// - `alert` messages: the `alerts` pub/sub channel, as published.
/// - `health` messages: the suite's health every `healthEvery` while anyone listens.
///
/// Redis failures are retried every second and counted; no loop ends before the service.
final class PushHub: Service, Sendable {
    struct Settings: Sendable {
        var queueCapacity = 1_000
        var maxClients = 10_000
        var healthEvery: Duration = .seconds(10)
        var klineEvery: Duration = .seconds(1)
        var readBlock: Duration = .seconds(2)
    }

    let settings: Settings
    private let redis: RedisClient
    private let postgres: PostgresPool
    private let keys: RedisKeys
    private let health: SuiteHealth
    private let logger: Logger
    private let clients = Mutex<[Int: PushClient]>([:])
    private let nextID = Atomic<Int>(1)

    init(settings: Settings, redis: RedisClient, postgres: PostgresPool, keys: RedisKeys, health: SuiteHealth, logger: Logger) {
        self.settings = settings
        self.redis = redis
        self.postgres = postgres
        self.keys = keys
        self.health = health
        self.logger = logger
    }

    var clientCount: Int { clients.withLock { $0.count } }

    /// A new client, or nil when `maxClients` are connected.
    func connect() -> PushClient? {
        clients.withLock { clients in
            guard clients.count < settings.maxClients else { return nil }
            let client = PushClient(id: nextID.add(1, ordering: .relaxed).oldValue, capacity: settings.queueCapacity)
            clients[client.id] = client
            Gauge(label: "alphapulse.gateway.ws.clients").record(clients.count)
            return client
        }
    }

    func disconnect(_ client: PushClient) {
        client.finish()
        clients.withLock { clients in
            clients[client.id] = nil
            Gauge(label: "alphapulse.gateway.ws.clients").record(clients.count)
        }
    }

    private var all: [PushClient] { clients.withLock { Array($0.values) } }

    /// Sends `message` to every client subscribed to `channel`.
    func broadcast(_ message: String, channel: String) {
        for client in all where client.channels.contains(channel) {
            client.with { $0.enqueue(message, channel: channel) }
        }
    }

    // MARK: - Messages

    static func message(type: String, data: some Encodable) -> String {
        (try? JSONResponse.encoder.encode(Envelope(type: type, data: data))).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    struct SignalData: Encodable {
        var streamId: String
        var event: String
        var id: Int64
        var market: String
        var symbol: String
        var direction: String
        var moment: Int64
        var entry: Double
        var stop: Double
        var targets: [Double]
        var expiresAt: Int64
        var probability: Double
        var confidence: Double
        var heads: [String]
        var status: String
        @OrNull var exitPrice: Double?
        @OrNull var returnR: Double?
        @OrNull var resolvedAt: Int64?

        init(streamID: String, _ event: SignalEvent) {
            streamId = streamID
            self.event = event.kind.rawValue
            id = event.id
            market = event.market.rawValue
            symbol = event.symbol
            direction = event.direction
            moment = event.moment
            entry = event.entry
            stop = event.stop
            targets = [event.target1, event.target2]
            expiresAt = event.expiresAt
            probability = event.probability
            confidence = event.confidence
            heads = event.heads
            status = event.status
            exitPrice = event.exitPrice
            returnR = event.returnR
            resolvedAt = event.resolvedAt
        }
    }

    /// The channel and message of a signals-stream entry; nil for an entry that is not one.
    static func signalMessage(_ entry: RedisStreamEntry) -> (channel: String, message: String)? {
        guard let event = try? SignalEvent(fields: StreamFields(entry.fields)) else { return nil }
        let outcome = event.kind == .resolved
        return (outcome ? "outcomes" : "signals", message(type: outcome ? "outcome" : "signal", data: SignalData(streamID: entry.id, event)))
    }

    struct KlineData: Encodable {
        var market: String
        var symbol: String
        var closed: Bool
        var openTime: Int64
        var closeTime: Int64
        var open: String
        var high: String
        var low: String
        var close: String
        var volume: String
        var quoteVolume: String
        var trades: Int64

        init(_ row: CandleRow, closed: Bool) {
            market = row.market.rawValue
            symbol = row.symbol
            self.closed = closed
            openTime = row.openTime
            closeTime = row.closeTime
            open = row.open
            high = row.high
            low = row.low
            close = row.close
            volume = row.volume
            quoteVolume = row.quoteVolume
            trades = row.trades
        }
    }

    static func klineChannel(_ market: Market, _ symbol: String) -> String { "klines:\(market.rawValue):\(symbol)" }

    /// Parses `klines:{market}:{symbol}`.
    static func klineSubject(_ channel: String) -> (Market, String)? {
        let parts = channel.split(separator: ":")
        guard parts.count == 3, parts[0] == "klines", let market = Market(rawValue: String(parts[1])),
              let symbol = try? Parameters.symbol(String(parts[2])) else { return nil }
        return (market, symbol)
    }

    // MARK: - Resume

    struct Gap: Encodable {
        var requested: String
        var first: String
    }

    /// Sends `client` the signals-stream entries after `from` (its subscribed kinds), in order,
    /// before any live event that arrives meanwhile. An id older than the stream's first entry
    /// gets a `gap` message first (what lay between was trimmed), then everything kept.
    func resume(_ client: PushClient, from: StreamID) async throws {
        client.with { $0.startCatchUp() }
        defer { client.with { $0.finishCatchUp() } }
        var start = "(\(from)"
        if let first = try await redis.xrange(keys.signals, count: 1).first, let firstID = StreamID(first.id), from < firstID {
            // `from` itself may be the entry just before the first kept: only older is a gap.
            let gap = from.millis < firstID.millis || (from.millis == firstID.millis && from.sequence + 1 < firstID.sequence)
            if gap {
                client.with { $0.enqueue(Self.message(type: "gap", data: Gap(requested: "\(from)", first: first.id)), channel: nil) }
                Counter(label: "alphapulse.gateway.ws.gaps").increment()
            }
            start = "-"
        }
        while !client.isSlow {
            let page = try await redis.xrange(keys.signals, start: start, count: 500)
            for entry in page {
                guard let id = StreamID(entry.id) else { continue }
                if let (channel, message) = Self.signalMessage(entry) {
                    client.with { $0.caughtUp(signal: id, channel: channel, message: message) }
                }
                start = "(\(entry.id)"
            }
            if page.count < 500 { break }
        }
    }

    // MARK: - Loops

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.followSignals() }
                group.addTask { await self.followStoredCandles() }
                group.addTask { await self.pollOpenKlines() }
                group.addTask { await self.followAlerts() }
                group.addTask { await self.pushHealth() }
            }
        }
        for client in all { client.finish() }
    }

    private func retrying(_ what: String, _ error: any Error) async {
        Counter(label: "alphapulse.gateway.ws.source_errors", dimensions: [("source", what)]).increment()
        logger.warning("push source failed; retrying", metadata: ["source": "\(what)", "error": "\(error)"])
        try? await Task.sleep(for: .seconds(1))
    }

    /// The id of a stream's newest entry, or `0-0` for an empty one (read from there on).
    private func tail(of stream: String) async throws -> String {
        let reply = try await redis.send(arguments: ["XREVRANGE", RedisArgument(stream), "+", "-", "COUNT", "1"])
        return reply.array?.first?.array?.first?.string ?? "0-0"
    }

    private func followSignals() async {
        let connection = redis.makeDedicatedClient(label: "push.signals")
        defer { Task { await connection.close() } }
        var last: String?
        while !Task.isCancelled {
            do {
                if last == nil { last = try await tail(of: keys.signals) }
                let entries = try await connection.xread(after: [(keys.signals, last ?? "$")], count: 500, block: settings.readBlock)
                for entry in entries {
                    last = entry.id
                    guard let id = StreamID(entry.id), let (channel, message) = Self.signalMessage(entry) else { continue }
                    for client in all { client.with { $0.live(signal: id, channel: channel, message: message) } }
                }
            } catch {
                if Task.isCancelled { return }
                await retrying("signals", error)
            }
        }
    }

    private func followStoredCandles() async {
        let connection = redis.makeDedicatedClient(label: "push.candles")
        defer { Task { await connection.close() } }
        let store = CandleStore(postgres: postgres)
        var last: String?
        while !Task.isCancelled {
            do {
                if last == nil { last = try await tail(of: keys.candlesStored) }
                let entries = try await connection.xread(after: [(keys.candlesStored, last ?? "$")], count: 500, block: settings.readBlock)
                let wanted = Set(all.flatMap(\.channels).filter { $0.hasPrefix("klines:") })
                for entry in entries {
                    last = entry.id
                    guard !wanted.isEmpty, let stored = try? StoredCandles(fields: StreamFields(entry.fields)) else { continue }
                    let channel = Self.klineChannel(stored.market, stored.symbol)
                    guard wanted.contains(channel) else { continue }
                    let rows = try await store.candles(
                        market: stored.market, symbol: stored.symbol, interval: .oneMinute, from: stored.from, to: stored.to + 1)
                    for row in rows { broadcast(Self.message(type: "kline", data: KlineData(row, closed: true)), channel: channel) }
                }
            } catch {
                if Task.isCancelled { return }
                await retrying("candles", error)
            }
        }
    }

    private func pollOpenKlines() async {
        var seen: [String: Int64] = [:]
        while !Task.isCancelled {
            try? await Task.sleep(for: settings.klineEvery)
            let channels = Set(all.flatMap(\.channels)).compactMap { channel in Self.klineSubject(channel).map { (channel, $0.0, $0.1) } }
            seen = seen.filter { key, _ in channels.contains { $0.0 == key } }
            guard !channels.isEmpty else { continue }
            do {
                let replies = try await redis.pipeline(commands: channels.map { ["HGETALL", RedisArgument(keys.kline($0.1, $0.2))] })
                for ((channel, market, symbol), reply) in zip(channels, replies) {
                    let flat = reply.array?.compactMap(\.string) ?? []
                    guard flat.count >= 2 else { continue }
                    var fields: [(String, String)] = []
                    for index in stride(from: 0, to: flat.count - 1, by: 2) { fields.append((flat[index], flat[index + 1])) }
                    guard let kline = try? LatestKline(market: market, symbol: symbol, fields: StreamFields(fields)),
                          !kline.isClosed, seen[channel] != kline.eventTime else { continue }
                    seen[channel] = kline.eventTime
                    broadcast(Self.message(type: "kline", data: KlineData(kline.row, closed: false)), channel: channel)
                }
            } catch {
                if Task.isCancelled { return }
                await retrying("klines", error)
            }
        }
    }

    private func followAlerts() async {
        while !Task.isCancelled {
            do {
                let subscriber = try await redis.subscribe(to: [keys.alerts])
                for try await message in subscriber {
                    guard let object = try? JSONSerialization.jsonObject(with: Data(message.payload)), object is [String: Any] else {
                        Counter(label: "alphapulse.gateway.ws.malformed_alerts").increment()
                        continue
                    }
                    let data = String(decoding: message.payload, as: UTF8.self)
                    broadcast("{\"data\":\(data),\"type\":\"alert\"}", channel: "alerts")
                }
            } catch {
                if Task.isCancelled { return }
                await retrying("alerts", error)
            }
        }
    }

    struct HealthData: Encodable {
        var status: String
        var services: [String: String]
    }

    private func pushHealth() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: settings.healthEvery)
            guard all.contains(where: { $0.channels.contains("health") }) else { continue }
            do {
                let summary = try await health.summary()
                broadcast(Self.message(type: "health", data: HealthData(status: summary.status, services: summary.services)), channel: "health")
            } catch {
                if Task.isCancelled { return }
                await retrying("health", error)
            }
        }
    }
}

/// A push message: `{"data":…,"type":…}`.
private struct Envelope<Payload: Encodable>: Encodable {
    var type: String
    var data: Payload
}
