import Testing
@testable import ServiceRuntime

@Suite struct ProcessStatsTests {
    @Test func parsesStatWithAnAwkwardCommandName() throws {
        // The command name may hold spaces and parentheses: fields count from the last ')'.
        let stat = "4242 (ap (x) y) S 1 4242 4242 0 -1 4194560 2000 0 0 0 350 150 0 0 20 0 8 0 123 456789 1000 18446744073709551615"
        let stats = try #require(ProcessStats.parse(stat: stat, statm: "5000 1234 300 10 0 900 0\n", ticksPerSecond: 100, pageSize: 4096))
        #expect(stats.cpuSeconds == 5.0)
        #expect(stats.residentBytes == 1234 * 4096)
        #expect(ProcessStats.parse(stat: "garbage", statm: "1 2", ticksPerSecond: 100, pageSize: 4096) == nil)
    }

    @Test func readsThisProcess() throws {
        let stats = try #require(ProcessStats.current())
        #expect(stats.residentBytes > 1 << 20)
        #expect(stats.cpuSeconds > 0)
    }
}

@Suite struct WorkProgressTests {
    @Test func aLoopIsStalledOnlyPastItsLimit() {
        let start = ContinuousClock.now
        let progress = WorkProgress(name: "persister", now: start)
        let readiness = Readiness()
        readiness.watch(progress, limit: .seconds(120))
        #expect(readiness.stalled(at: start + .seconds(120)).isEmpty)
        #expect(readiness.stalled(at: start + .seconds(121)).map(\.name) == ["persister"])
        progress.beat(at: start + .seconds(121))
        #expect(readiness.stalled(at: start + .seconds(200)).isEmpty)
        #expect(progress.age(at: start + .seconds(200)) == .seconds(79))
    }
}
