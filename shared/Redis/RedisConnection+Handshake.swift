import CHiredis
import Metrics

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension RedisConnection {
    /// AUTH, SELECT and a PING on a fresh context; classifies failures as transient (retry),
    /// authentication or setup errors. Runs on the queue.
    func handshake(_ pointer: UnsafeMutablePointer<redisContext>) throws(RedisError) {
        var commands: [[RedisArgument]] = []
        if let password = configuration.password {
            commands.append(configuration.username.map { ["AUTH", RedisArgument($0), RedisArgument(password)] } ?? ["AUTH", RedisArgument(password)])
        }
        if configuration.database != 0 { commands.append(["SELECT", RedisArgument(configuration.database)]) }
        commands.append(["PING"])  // fails with LOADING while the server replays its AOF
        for command in commands {
            let verb = command[0].text
            let reply: RedisValue
            do {
                reply = try HiredisContext.command(pointer, command)
            } catch {
                var failure = error
                failure.code = .connectionFailed
                failure.isTransient = true
                throw failure
            }
            guard case .error(let message) = reply else { continue }
            var error: RedisError
            if message.hasPrefix("LOADING") || message.hasPrefix("BUSY") || message.hasPrefix("MASTERDOWN") {
                error = RedisError(.connectionFailed, "server is not ready", command: verb, serverMessage: message)
                error.isTransient = true
            } else if verb == "AUTH" || message.hasPrefix("NOAUTH") || message.hasPrefix("WRONGPASS") {
                error = RedisError(.authenticationFailed, "authentication failed: check the password in the Redis URL", command: verb, serverMessage: message)
            } else {
                error = RedisError(.connectionFailed, "connection setup failed", command: verb, serverMessage: message)
            }
            throw error
        }
    }

    /// Whether an idle socket, which should have nothing to read, shows EOF, a reset or
    /// stray data: the server closed it (restart, `CLIENT KILL`, idle timeout) and sending
    /// on it would only fail. Reconnecting first is safe because nothing was sent yet.
    static func isClosedWhileIdle(_ fd: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) != 0
    }

    static func jittered(_ delay: Duration) -> Duration {
        delay * Double.random(in: 0.5...1.0)
    }

    /// Bumps `alphapulse.redis.errors{code}`; cancellation and closing are not errors.
    func count(_ error: RedisError) {
        guard error.code != .cancelled, error.code != .clientClosed else { return }
        Counter(label: "alphapulse.redis.errors", dimensions: [("code", error.code.description)], factory: metrics).increment()
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
