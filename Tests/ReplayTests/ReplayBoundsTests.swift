import ArgumentParser
import Foundation
@testable import Replay
import Testing

/// Absurd numbers from outside (control API bodies, command-line options) are refused or
/// clamped; none may trap the server.
@Suite struct ReplayBoundsTests {
    @Test func controlEndpointsAnswerAbsurdSecondsWith400() async throws {
        try await WSHarness.run { server in
            for (path, body) in [
                ("/_replay/drop-every", #"{"seconds":1e300}"#),
                ("/_replay/drop-every", #"{"seconds":9.3e15}"#),
                ("/_replay/drop-every", #"{"seconds":86401}"#),
                ("/_replay/drop-every", #"{"seconds":-1}"#),
                ("/_replay/drop-every", #"{"seconds":"NaN"}"#),
                ("/_replay/stall", #"{"seconds":1e300}"#),
                ("/_replay/stall", #"{"seconds":-1e300}"#),
            ] {
                let reply = try #require(try await RawSocket.http(port: server.port, "POST", path, body: body))
                #expect(reply.status == 400, "\(path) \(body) answered \(reply.status) \(reply.body)")
            }
            let accepted = try #require(try await RawSocket.http(port: server.port, "POST", "/_replay/drop-every", body: #"{"seconds":86400}"#))
            #expect(accepted.status == 200)
            let stopped = try #require(try await RawSocket.http(port: server.port, "POST", "/_replay/drop-every", body: #"{"seconds":0}"#))
            #expect(stopped.status == 200)
            let status = try #require(try await RawSocket.http(port: server.port, "GET", "/_replay/ws-status"))
            #expect(status.status == 200, "the server no longer answers")
        }
    }

    /// The hub's own entry points clamp whatever they are given.
    @Test func hubFaultsClampHugeDurations() async throws {
        try await WSHarness.run { server in
            server.hub.dropEvery(seconds: 1e300)
            #expect(server.hub.stall(seconds: 1e300) == 0)
            #expect(server.hub.stall(seconds: .nan) == 0)
            // The drop timer's first sleep starts at once; it must not have trapped.
            try await Task.sleep(for: .milliseconds(100))
            server.hub.dropEvery(seconds: 0)
        }
    }

    @Test func extremeSpeedsAreRejectedWhenParsingArguments() throws {
        for speed in ["1e300", "1000001", "1e-300", "0.0009", "-1", "inf", "nan"] {
            #expect(throws: (any Error).self, "--speed \(speed) was accepted") {
                try ServeCommand.parse(["--synthetic-spot", "1", "--speed", speed])
            }
            do {
                _ = try ServeCommand.parse(["--synthetic-spot", "1", "--speed", speed])
            } catch {
                let message = ServeCommand.message(for: error)
                #expect(message.contains("--speed") || message.contains("speed"), "unclear message: \(message)")
            }
        }
        for speed in ["0", "0.001", "1", "600", "1000000"] {
            let command = try ServeCommand.parse(["--synthetic-spot", "1", "--speed", speed])
            #expect(command.speed == Double(speed))
        }
        #expect(throws: (any Error).self) {
            try ServeCommand.parse(["--synthetic-spot", "1", "--connection-lifetime", "1e300"])
        }
    }

    @Test func conversionsSaturateInsteadOfTrapping() {
        #expect(Duration.seconds(clamping: 1e300) == .seconds(366 * 86_400))
        #expect(Duration.seconds(clamping: .infinity, to: 1) == .seconds(1))
        #expect(Duration.seconds(clamping: .nan) == .zero)
        #expect(Duration.seconds(clamping: -5) == .zero)
        #expect(Duration.seconds(clamping: 1.5) == .milliseconds(1_500))
        #expect(Int64(milliseconds: 1e300) == Int64.replayMillisecondBound)
        #expect(Int64(milliseconds: -1e300) == -Int64.replayMillisecondBound)
        #expect(Int64(milliseconds: 1_999.9) == 1_999)

        // The fastest clock after a (fake) century of real time.
        let wall = FakeWall()
        let clock = ReplayClock(start: 1_769_904_000_000, speed: ReplayClock.speeds.upperBound, wall: { wall.now() })
        wall.advance(100 * 366 * 86_400)
        #expect(clock.nowMillis() > 1_769_904_000_000)
        let slowest = ReplayClock(start: 0, speed: ReplayClock.speeds.lowerBound, wall: { wall.now() })
        #expect(abs(slowest.realSeconds(until: 60_000) - 60_000) < 1)
    }
}
