import ArgumentParser
import BenchSupport
import Foundation
import Logging
import REST
import Synchronization
import WSClient
#if canImport(Glibc)
import Glibc
#endif

/// Measures alphapulse-replay as a separate process: WebSocket frames per second delivered to one
/// client subscribed to every kline stream of N synthetic symbols, and the server's CPU use
/// (user + system time over wall time, from /proc) while it does so.
@main
struct ReplayBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alphapulse-replay-bench",
        abstract: "Benchmark alphapulse-replay: frames/s to one client and server CPU with N symbols subscribed."
    )

    @Option(help: "Path of the alphapulse-replay binary to measure.")
    var replayBinary: String

    @Option(help: "Synthetic spot symbols, all subscribed by the one client.")
    var symbols = 1_000

    @Option(parsing: .upToNextOption, help: "Replay speeds to measure (simulated seconds per real second).")
    var speeds: [Double] = [60, 3_600]

    @Option(help: "Seconds measured per run.")
    var seconds: Double = 10

    @Option(help: "Runs per speed; the median is reported.")
    var runs = 3

    func run() async throws {
        ChildProcess.stopChildrenOnSignals()
        for speed in speeds {
            var rates: [Double] = []
            var cpus: [Double] = []
            for _ in 0..<runs {
                let (rate, cpu) = try await measure(speed: speed)
                rates.append(rate)
                cpus.append(cpu)
            }
            print(String(format: "replay speed %.0f, %d symbols subscribed: median %.0f frames/s to one client, server CPU median %.0f%% of one core (%d runs of %.0f s)",
                         speed, symbols, median(rates), median(cpus) * 100, runs, seconds))
        }
    }

    func measure(speed: Double) async throws -> (framesPerSecond: Double, cpu: Double) {
        let port = try freePort()
        let server = try ChildProcess([replayBinary, "serve", "--port", String(port), "--synthetic-spot", String(symbols),
                                       "--synthetic-days", "1", "--seed", "7", "--speed", String(speed), "--log-level", "warning"])
        do {
            let result = try await measure(server: server, port: port)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    func measure(server: ChildProcess, port: Int) async throws -> (framesPerSecond: Double, cpu: Double) {
        let http = RESTClient(configuration: .init(timeout: .seconds(5), maxRetries: 0))
        var names: [String] = []
        let deadline = Date().addingTimeInterval(120)
        while names.isEmpty {
            if Date() > deadline { throw ValidationError("alphapulse-replay did not start") }
            if let info = try? await http.get("http://127.0.0.1:\(port)/api/v3/exchangeInfo"),
               let json = try? JSONSerialization.jsonObject(with: Data(info.body)) as? [String: Any],
               let list = json["symbols"] as? [[String: Any]] {
                names = list.compactMap { $0["symbol"] as? String }.map { $0.lowercased() + "@kline_1m" }
            } else {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        let frames = Mutex(0)
        let measuring = Mutex(false)
        let streams = names
        let window = seconds
        let client = Task {
            try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/stream", logger: Logger(label: "bench")) { inbound, outbound, _ in
                // Binance allows 5 incoming messages per second on spot: subscribe 200 streams per second.
                let subscriber = Task {
                    for (index, start) in stride(from: 0, to: streams.count, by: 200).enumerated() {
                        let batch = streams[start..<min(start + 200, streams.count)].map { "\"\($0)\"" }.joined(separator: ",")
                        try await outbound.write(.text("{\"method\":\"SUBSCRIBE\",\"params\":[\(batch)],\"id\":\(index + 1)}"))
                        try await Task.sleep(for: .milliseconds(1_000))
                    }
                }
                defer { subscriber.cancel() }
                for try await _ in inbound.messages(maxSize: 1 << 20) where measuring.withLock({ $0 }) {
                    frames.withLock { $0 += 1 }
                }
                _ = window
            }
        }
        defer { client.cancel() }
        // Let subscriptions complete and the stream settle before measuring.
        try await Task.sleep(for: .seconds(Double(names.count) / 200 + 2))
        let cpuBefore = try server.cpuSeconds()
        let wallBefore = Date()
        measuring.withLock { $0 = true }
        try await Task.sleep(for: .seconds(seconds))
        measuring.withLock { $0 = false }
        let elapsed = Date().timeIntervalSince(wallBefore)
        let cpu = try server.cpuSeconds() - cpuBefore
        return (Double(frames.withLock { $0 }) / elapsed, cpu / elapsed)
    }
}
