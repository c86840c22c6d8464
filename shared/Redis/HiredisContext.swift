import CHiredis

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns one `redisContext`. Touched only from its connection's `BlockingQueue` (or from
/// `deinit`, when nothing else can reach it), which is what makes the unchecked
/// `Sendable` sound.
final class HiredisContext: @unchecked Sendable {
    private(set) var pointer: UnsafeMutablePointer<redisContext>?
    /// Bumped on every successful connect, so a subscriber can tell it must resubscribe.
    private(set) var generation: UInt64 = 0
    /// The socket timeout currently set on the context; `nil` means unknown.
    private var appliedTimeout: Duration??

    /// Connects without handshake. Throws a transient `connectionFailed` on refusal or timeout.
    func connect(host: String, port: Int, timeout: Duration) throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        precondition(pointer == nil, "connect on a live context")
        guard let context = redisConnectWithTimeout(host, Int32(port), makeTimeval(timeout)) else {
            throw RedisError(.connectionFailed, "hiredis could not allocate a context")
        }
        if context.pointee.err != 0 {
            var error = HiredisContext.error(of: context, code: .connectionFailed, command: nil, message: "cannot connect to \(host):\(port)")
            error.isTransient = true
            redisFree(context)
            throw error
        }
        // Keep-alive lets an idle subscriber notice a peer that vanished without a FIN.
        _ = redisEnableKeepAlive(context)
        pointer = context
        appliedTimeout = nil
        generation &+= 1
        return context
    }

    /// Frees the context (closing its socket). The caller must first unpublish the fd.
    func free() {
        if let pointer { redisFree(pointer) }
        pointer = nil
        appliedTimeout = nil
    }

    /// Sets the socket read/write timeout; `nil` waits forever.
    func setTimeout(_ timeout: Duration?, command: String?) throws(RedisError) {
        guard let pointer else { return }
        if case .some(let applied) = appliedTimeout, applied == timeout { return }
        if redisSetTimeout(pointer, makeTimeval(timeout ?? .zero)) != REDIS_OK {
            throw HiredisContext.error(of: pointer, code: .connectionLost, command: command, message: "cannot set socket timeout")
        }
        appliedTimeout = .some(timeout)
    }

    deinit {
        if let pointer { redisFree(pointer) }
    }

    // MARK: - Commands

    /// Sends one command and reads its reply; error replies come back as `.error`.
    static func command(_ context: UnsafeMutablePointer<redisContext>, _ arguments: [RedisArgument]) throws(RedisError) -> RedisValue {
        try append(context, arguments)
        return try readReply(context, command: arguments.first?.text)
    }

    /// Queues a command in the output buffer; `readReply` flushes it.
    static func append(_ context: UnsafeMutablePointer<redisContext>, _ arguments: [RedisArgument]) throws(RedisError) {
        precondition(!arguments.isEmpty, "a Redis command needs at least its name")
        let status = withArgv(arguments) { argc, argv, lengths in
            redisAppendCommandArgv(context, argc, argv, lengths)
        }
        if status != REDIS_OK {
            throw error(of: context, code: .connectionLost, command: arguments.first?.text, message: "cannot queue command")
        }
    }

    /// Flushes pending output and reads the next reply, blocking up to the socket timeout.
    static func readReply(_ context: UnsafeMutablePointer<redisContext>, command: String?) throws(RedisError) -> RedisValue {
        var raw: UnsafeMutableRawPointer?
        let status = redisGetReply(context, &raw)
        let savedErrno = errno
        guard status == REDIS_OK, let raw else {
            throw ioError(of: context, errno: savedErrno, command: command)
        }
        defer { freeReplyObject(raw) }
        return RedisValue(raw.assumingMemoryBound(to: redisReply.self))
    }

    private static func withArgv<R>(
        _ arguments: [RedisArgument],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
    ) -> R {
        var storage: [UInt8] = []
        storage.reserveCapacity(arguments.reduce(1) { $0 + $1.bytes.count })
        var offsets: [Int] = []
        var lengths: [Int] = []
        offsets.reserveCapacity(arguments.count)
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            offsets.append(storage.count)
            lengths.append(argument.bytes.count)
            storage.append(contentsOf: argument.bytes)
        }
        storage.append(0)  // never empty, so the base address exists even for empty arguments
        return storage.withUnsafeBytes { buffer in
            let base = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
            var pointers: [UnsafePointer<CChar>?] = offsets.map { UnsafePointer(base + $0) }
            return pointers.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { lens in
                    body(Int32(arguments.count), argv.baseAddress!, lens.baseAddress!)
                }
            }
        }
    }

    // MARK: - Errors

    static func ioError(of context: UnsafeMutablePointer<redisContext>, errno savedErrno: Int32, command: String?) -> RedisError {
        let code = context.pointee.err
        if code == REDIS_ERR_IO && (savedErrno == EAGAIN || savedErrno == EWOULDBLOCK || savedErrno == ETIMEDOUT) {
            return error(of: context, code: .timeout, command: command, message: "no reply within the command timeout")
        }
        if code == REDIS_ERR_PROTOCOL {
            return error(of: context, code: .unexpectedReply, command: command, message: "protocol error")
        }
        return error(of: context, code: .connectionLost, command: command, message: "connection lost")
    }

    static func error(
        of context: UnsafeMutablePointer<redisContext>,
        code: RedisError.Code,
        command: String?,
        message: String
    ) -> RedisError {
        let detail = withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return RedisError(code, message, command: command, hiredisCode: context.pointee.err, hiredisMessage: detail)
    }
}

extension RedisValue {
    init(_ reply: UnsafeMutablePointer<redisReply>) {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            self = .bulk(r.len == 0 ? [] : Array(UnsafeRawBufferPointer(start: r.str, count: r.len)))
        case REDIS_REPLY_STATUS:
            self = .status(String(decoding: UnsafeRawBufferPointer(start: r.str, count: r.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            self = .error(String(decoding: UnsafeRawBufferPointer(start: r.str, count: r.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            self = .integer(Int64(r.integer))
        case REDIS_REPLY_ARRAY:
            self = .array((0..<r.elements).map { RedisValue(r.element[$0]!) })
        default:
            self = .null
        }
    }
}

func makeTimeval(_ duration: Duration) -> timeval {
    let (seconds, attoseconds) = duration.components
    return timeval(tv_sec: .init(max(0, seconds)), tv_usec: .init(max(0, attoseconds / 1_000_000_000_000)))
}
