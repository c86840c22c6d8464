import Foundation
import Synchronization
import Testing
import Threads

/// The running thread's name, as the kernel knows it.
func threadName() -> String {
    ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .newlines)
}

@Suite struct BlockingQueueTests {
    @Test func runsWorkInOrderOnItsOwnThread() async throws {
        let queue = BlockingQueue(label: "ap.test.queue")
        let order = Mutex<[Int]>([])
        var names: Set<String> = []
        for index in 0..<50 {
            let name = await queue.run { () -> String in
                order.withLock { $0.append(index) }
                return Thread.current.name ?? ""
            }
            names.insert(name)
        }
        #expect(names == ["ap.test.queue"])
        #expect(order.withLock { $0 } == Array(0..<50))
        await #expect(throws: CancellationError.self) { try await queue.run { () throws -> Int in throw CancellationError() } }
    }
}

@Suite struct ThreadExecutorTests {
    /// Code of a task that prefers the executor runs on its thread, after every kind of
    /// suspension, and so does a child task; without the preference it does not.
    @Test func taskCodeRunsOnTheExecutorsThread() async throws {
        let executor = ThreadExecutor(label: "ap.test.exec")
        let queue = BlockingQueue(label: "ap.test.io")
        let seen = await withTaskExecutorPreference(executor) { () async -> [String] in
            var names = [threadName()]
            try? await Task.sleep(for: .milliseconds(5))
            names.append(threadName())
            _ = await queue.run { 1 }
            names.append(threadName())
            await withTaskGroup(of: String.self) { group in
                group.addTask { threadName() }
                for await name in group { names.append(name) }
            }
            return names
        }
        #expect(seen == Array(repeating: "ap.test.exec", count: 4))
        let elsewhere = await Task.detached { threadName() }.value
        #expect(elsewhere != "ap.test.exec")
    }
}
