import Redis
import TestSupport

/// A client for the shared test server, with optional tuning.
func makeClient(_ configure: (inout RedisConfiguration) -> Void = { _ in }) throws -> RedisClient {
    var configuration = try RedisConfiguration(url: TestEnvironment.redisURL())
    configure(&configuration)
    return RedisClient(configuration: configuration)
}

/// Runs `body` with a client and closes it afterwards, even when `body` throws.
func withClient<T>(
    _ configure: (inout RedisConfiguration) -> Void = { _ in },
    _ body: (RedisClient) async throws -> T
) async throws -> T {
    let client = try makeClient(configure)
    do {
        let result = try await body(client)
        await client.close()
        return result
    } catch {
        await client.close()
        throw error
    }
}

/// The `RedisError` `body` throws, or `nil` if it throws nothing or something else.
func redisError(_ body: () async throws -> Void) async -> RedisError? {
    do {
        try await body()
        return nil
    } catch let error as RedisError {
        return error
    } catch {
        return nil
    }
}

extension Result {
    /// The failure, if any.
    var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
