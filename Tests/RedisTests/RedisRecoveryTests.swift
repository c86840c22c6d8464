import Redis
import TestSupport
import Testing

/// Failure paths against private servers: authentication, server down, restart.
@Suite struct RedisRecoveryTests {
    @Test func passwordIsRequiredAndChecked() async throws {
        try await PrivateRedis.with(password: "correct-horse-battery") { server in
            let clock = ContinuousClock()
            let started = clock.now
            var wrongPassword = try RedisConfiguration(url: server.url(password: "wrong-horse"))
            wrongPassword.reconnectTimeout = .seconds(300)
            let wrong = RedisClient(configuration: wrongPassword)
            let error = await redisError { try await wrong.ping() }
            #expect(error?.code == .authenticationFailed)
            #expect(error?.description.contains("wrong-horse") == false)
            #expect(error?.description.contains("password") == true)
            // Not retried for the whole 300 s reconnect timeout: a bad password won't get better.
            #expect(started.duration(to: clock.now) < .seconds(150))
            await wrong.close()

            var anonymous = try RedisConfiguration(url: server.url())
            anonymous.password = nil
            let noPassword = RedisClient(configuration: anonymous)
            #expect(await redisError { try await noPassword.ping() }?.code == .authenticationFailed)
            await noPassword.close()

            let right = RedisClient(configuration: try RedisConfiguration(url: server.url(database: 2)))
            try await right.set("k", to: "v")
            #expect(try await right.get("k") == "v")
            #expect(try await right.send("CLIENT", "INFO").string?.contains("db=2") == true)
            let database0 = RedisClient(configuration: try RedisConfiguration(url: server.url(database: 0)))
            #expect(try await database0.get("k") == nil)
            await database0.close()
            await right.close()
        }
    }

    @Test func unreachableServerFailsAfterTheReconnectTimeout() async throws {
        var configuration = try RedisConfiguration(url: "redis://127.0.0.1:\(try freePort())")
        configuration.reconnectTimeout = .milliseconds(600)
        let redis = RedisClient(configuration: configuration)
        let clock = ContinuousClock()
        let started = clock.now
        let error = await redisError { try await redis.ping() }
        let elapsed = started.duration(to: clock.now)
        #expect(error?.code == .connectionFailed)
        #expect(error?.hiredisMessage?.isEmpty == false)
        // It gives up after the reconnect timeout, not at once and not never (generous upper
        // bound: the machine running the tests may be loaded).
        #expect(elapsed >= .milliseconds(500) && elapsed < .seconds(30))
        await redis.close()
    }

    @Test func clientAndSubscriberRecoverFromARestart() async throws {
        try await PrivateRedis.with { server in
            var configuration = try RedisConfiguration(url: server.url())
            configuration.reconnectTimeout = .seconds(20)
            let redis = RedisClient(configuration: configuration)
            let publisher = RedisClient(configuration: configuration)

            try await redis.set("before", to: "restart")
            let stream = "jobs"
            try await redis.xgroupCreate(stream, group: "g")
            let id = try await redis.xadd(stream, fields: [("job", "1")])
            let subscriber = try await redis.subscribe(to: ["signals"])
            var iterator = subscriber.makeAsyncIterator()
            #expect(try await publisher.publish("before", to: "signals") == 1)
            #expect(try await iterator.next()?.string == "before")

            try await server.restart(graceful: false)

            // The first command after the restart reconnects on its own.
            #expect(try await redis.get("before") == "restart")
            #expect(try await redis.xrange(stream).map(\.id) == [id])
            #expect(try await redis.xreadgroup(group: "g", consumer: "c", streams: [stream]).map(\.id) == [id])

            // The subscriber resubscribes; wait until the server sees it, then messages flow in order.
            let listening = Task {
                var received: [String] = []
                while received.count < 3, let message = try await iterator.next() { received.append(message.string) }
                return received
            }
            let resubscribed = await waitUntil(timeout: .seconds(60)) {
                (try? await publisher.send("PUBSUB", "NUMSUB", "signals").array?.last?.int) == 1
            }
            #expect(resubscribed)
            // A message lost would leave the listener waiting forever: closing ends its wait.
            let watchdog = Task {
                try await Task.sleep(for: .seconds(60))
                await subscriber.close()
            }
            defer { watchdog.cancel() }
            for text in ["after 1", "after 2", "after 3"] { try await publisher.publish(text, to: "signals") }
            #expect(try await listening.value == ["after 1", "after 2", "after 3"])

            await subscriber.close()
            await publisher.close()
            await redis.close()
        }
    }

    @Test func commandInFlightDuringAShutdownFailsWithConnectionLost() async throws {
        try await PrivateRedis.with { server in
            let redis = RedisClient(configuration: try RedisConfiguration(url: server.url()))
            try await redis.ping()
            let blocked = Task { try await redis.send(arguments: ["BLPOP", "nothing", "20"], timeout: .seconds(20)) }
            try await Task.sleep(for: .milliseconds(300))
            await server.stop(graceful: false)
            let result = await blocked.result
            if case .failure(let error as RedisError) = result {
                #expect(error.code == .connectionLost)
            } else {
                Issue.record("expected connectionLost, got \(result)")
            }
            try await server.start()
            #expect(try await redis.ping() == "PONG")
            await redis.close()
        }
    }
}
