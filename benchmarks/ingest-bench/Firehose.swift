import BenchSupport
import NIOCore

/// The load the benchmark offers: Binance-shaped futures frames for N synthetic symbols, as
/// fast as the ingest's sockets take them or at a fixed rate.
///
/// Every subscribed `@kline_1m` stream gets kline updates whose minute closes after
/// `updatesPerMinute` of them (the last one `"x":true`), and every `@markPrice@1s` stream one
/// frame per four kline rounds — Binance's own ratio of 250 ms klines to 1 s mark prices.
/// Each symbol's minutes follow one another without a gap, so the ingest never has a reason
/// to backfill. The send time of every closed kline is kept for the latency figure.
///
/// Lives on the server's single event loop; every connection's writer shares it.
final class Firehose {
    struct Plan: Sendable {
        /// Upper-case symbol names, e.g. `B0001USDT`.
        var symbols: [String]
        var updatesPerMinute: Int
        /// Frames per second over all connections; nil: as fast as the sockets take them.
        var rate: Double?
        /// Open time of every symbol's first minute (ms, minute-aligned).
        var firstMinute: Int64
    }

    /// What the benchmark reads.
    struct Snapshot: Sendable {
        var framesSent: Int
        var closedSent: Int
        var subscribedStreams: Int
        var connections: Int
    }

    /// A closed kline as sent: symbol index, open time (ms), send time (µs since 1970).
    struct ClosedSend: Sendable {
        var symbol: Int
        var openTime: Int64
        var sentMicros: Int64
    }

    private(set) var plan: Plan
    private(set) var symbolIndex: [String: Int] = [:]
    private var frames: [SymbolFrames] = []
    /// Kline updates sent per symbol so far.
    private var updates: [Int] = []
    private(set) var sending = false
    private(set) var framesSent = 0
    private(set) var closedSends: [ClosedSend] = []
    private var writers: [ObjectIdentifier: FirehoseWriter] = [:]
    private var tokens = 0.0
    private var lastRefill = NIODeadline.now()

    init() {
        plan = Plan(symbols: [], updatesPerMinute: 60, rate: nil, firstMinute: 0)
    }

    /// Starts over with a new plan: counters, minutes and recorded sends are reset; sending
    /// waits for `start()`.
    func reset(_ plan: Plan) {
        precondition(plan.updatesPerMinute >= 2, "a minute needs an open update and its close")
        self.plan = plan
        symbolIndex = Dictionary(uniqueKeysWithValues: plan.symbols.enumerated().map { ($0.element.lowercased(), $0.offset) })
        frames = plan.symbols.enumerated().map { SymbolFrames(index: $0.offset, name: $0.element) }
        updates = Array(repeating: 0, count: plan.symbols.count)
        framesSent = 0
        closedSends = []
        sending = false
        tokens = 0
    }

    func start() {
        sending = true
        lastRefill = .now()
        tokens = 0
        for writer in writers.values { writer.pump() }
    }

    func stop() {
        sending = false
    }

    var snapshot: Snapshot {
        Snapshot(
            framesSent: framesSent, closedSent: closedSends.count, subscribedStreams: writers.values.reduce(0) { $0 + $1.streamCount },
            connections: writers.count)
    }

    func register(_ writer: FirehoseWriter) { writers[ObjectIdentifier(writer)] = writer }
    func unregister(_ writer: FirehoseWriter) { writers[ObjectIdentifier(writer)] = nil }

    /// How many frames a writer may send now, at most `wanted`.
    func take(_ wanted: Int) -> Int {
        guard sending else { return 0 }
        guard let rate = plan.rate else { return wanted }
        let now = NIODeadline.now()
        let elapsed = Double((now - lastRefill).nanoseconds) / 1e9
        lastRefill = now
        // At most 10 ms of burst, so a paced run stays paced.
        tokens = min(max(rate / 100, Double(wanted)), tokens + rate * elapsed)
        let granted = min(wanted, Int(tokens))
        tokens -= Double(granted)
        return granted
    }

    /// Appends the next kline frame of `symbol` as a WebSocket text frame.
    func writeKline(_ symbol: Int, into buffer: inout ByteBuffer) {
        let update = updates[symbol]
        updates[symbol] = update + 1
        framesSent += 1
        let perMinute = plan.updatesPerMinute
        let minute = update / perMinute
        let step = update % perMinute
        let openTime = plan.firstMinute + Int64(minute) * 60_000
        let closed = step == perMinute - 1
        FrameWriter.text(into: &buffer) { buffer in
            frames[symbol].kline(
                into: &buffer, openTime: openTime, minute: minute, step: step,
                eventTime: openTime + Int64(step + 1) * 60_000 / Int64(perMinute), closed: closed)
        }
        if closed { closedSends.append(ClosedSend(symbol: symbol, openTime: openTime, sentMicros: wallMicros())) }
    }

    /// Appends a mark-price frame of `symbol` as a WebSocket text frame.
    func writeMark(_ symbol: Int, into buffer: inout ByteBuffer) {
        framesSent += 1
        let update = updates[symbol]
        let minute = update / plan.updatesPerMinute
        let eventTime = plan.firstMinute + Int64(minute) * 60_000 + Int64(update % plan.updatesPerMinute) * 60_000
            / Int64(plan.updatesPerMinute)
        FrameWriter.text(into: &buffer) { buffer in
            frames[symbol].mark(into: &buffer, minute: minute, eventTime: eventTime)
        }
    }
}

/// The constant parts of one symbol's frames, pre-encoded.
struct SymbolFrames {
    let klineHead: [UInt8]
    /// `,"s":"NAME"`
    let symbolField: [UInt8]
    let markHead: [UInt8]
    /// Price of the symbol's first minute, in units of 0.0001.
    let basePrice: Int64

    init(index: Int, name: String) {
        let lower = name.lowercased()
        klineHead = Array(#"{"stream":"\#(lower)@kline_1m","data":{"e":"kline","E":"#.utf8)
        symbolField = Array(#","s":"\#(name)""#.utf8)
        markHead = Array(#"{"stream":"\#(lower)@markPrice@1s","data":{"e":"markPriceUpdate","E":"#.utf8)
        basePrice = 10_000 + Int64(index % 5_000) * 37
    }

    func kline(into buffer: inout ByteBuffer, openTime: Int64, minute: Int, step: Int, eventTime: Int64, closed: Bool) {
        let open = basePrice + Int64(minute % 50) * 3
        let close = open + Int64((step * 7) % 21) - 10
        let trades = Int64(step + 1)
        buffer.writeBytes(klineHead)
        FrameWriter.integer(eventTime, into: &buffer)
        buffer.writeBytes(symbolField)
        buffer.writeStaticString(#","k":{"t":"#)
        FrameWriter.integer(openTime, into: &buffer)
        buffer.writeStaticString(#","T":"#)
        FrameWriter.integer(openTime + 59_999, into: &buffer)
        buffer.writeBytes(symbolField)
        buffer.writeStaticString(#","i":"1m","f":"#)
        FrameWriter.integer(Int64(minute) * 1_000, into: &buffer)
        buffer.writeStaticString(#","L":"#)
        FrameWriter.integer(Int64(minute) * 1_000 + trades - 1, into: &buffer)
        buffer.writeStaticString(#","o":""#)
        FrameWriter.fixed(open, decimals: 4, into: &buffer)
        buffer.writeStaticString(#"","c":""#)
        FrameWriter.fixed(close, decimals: 4, into: &buffer)
        buffer.writeStaticString(#"","h":""#)
        FrameWriter.fixed(open + 15, decimals: 4, into: &buffer)
        buffer.writeStaticString(#"","l":""#)
        FrameWriter.fixed(open - 15, decimals: 4, into: &buffer)
        buffer.writeStaticString(#"","v":""#)
        FrameWriter.fixed(trades * 2, decimals: 3, into: &buffer)
        buffer.writeStaticString(#"","n":"#)
        FrameWriter.integer(trades, into: &buffer)
        buffer.writeStaticString(closed ? #","x":true,"q":""# : #","x":false,"q":""#)
        FrameWriter.fixed(trades * 25, decimals: 2, into: &buffer)
        buffer.writeStaticString(#"","V":""#)
        FrameWriter.fixed(trades, decimals: 3, into: &buffer)
        buffer.writeStaticString(#"","Q":""#)
        FrameWriter.fixed(trades * 12, decimals: 2, into: &buffer)
        buffer.writeStaticString(#"","B":"0"}}}"#)
    }

    func mark(into buffer: inout ByteBuffer, minute: Int, eventTime: Int64) {
        let price = basePrice + Int64(minute % 50) * 3
        buffer.writeBytes(markHead)
        FrameWriter.integer(eventTime, into: &buffer)
        buffer.writeBytes(symbolField)
        buffer.writeStaticString(#","p":""#)
        FrameWriter.fixed(price, decimals: 4, into: &buffer)
        buffer.writeStaticString(#"","i":""#)
        FrameWriter.fixed(price - 2, decimals: 4, into: &buffer)
        buffer.writeStaticString(#"","P":""#)
        FrameWriter.fixed(price - 1, decimals: 4, into: &buffer)
        buffer.writeStaticString(#"","r":"0.00010000","T":"#)
        FrameWriter.integer((eventTime / 28_800_000 + 1) * 28_800_000, into: &buffer)
        buffer.writeStaticString("}}")
    }
}
