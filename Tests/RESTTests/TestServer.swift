import Foundation
import Hummingbird
import Logging
import Synchronization

/// A request context that remembers the client's TCP port, to tell connections apart.
struct TestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remotePort: Int?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remotePort = source.channel.remoteAddress?.port
    }
}

/// Every request the test server received, in arrival order.
final class HitLog: Sendable {
    struct Hit: Sendable {
        let path: String
        let time: ContinuousClock.Instant
        let remotePort: Int?
        /// Lower-cased header names to values.
        let headers: [String: String]
        /// The raw (still percent-encoded) query string.
        let rawQuery: String
        /// The decoded query parameters.
        let query: [String: String]
    }

    private let hits = Mutex<[Hit]>([])
    private let released = Atomic<Bool>(false)

    func record(_ hit: Hit) { hits.withLock { $0.append(hit) } }

    /// The hits on `path`, oldest first.
    func hits(_ path: String) -> [Hit] { hits.withLock { $0.filter { $0.path == path } } }
    func count(_ path: String) -> Int { hits(path).count }

    /// Lets `/slow` handlers finish (so server shutdown does not wait for them).
    func release() { released.store(true, ordering: .relaxed) }
    var isReleased: Bool { released.load(ordering: .relaxed) }
}

/// Records every request in a `HitLog` before routing it.
struct HitMiddleware: RouterMiddleware {
    typealias Context = TestContext
    let log: HitLog

    func handle(_ request: Request, context: TestContext, next: (Request, TestContext) async throws -> Response) async throws -> Response {
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
        log.record(
            .init(
                path: request.uri.path, time: ContinuousClock.now, remotePort: context.remotePort, headers: headers,
                rawQuery: request.uri.query ?? "", query: query))
        return try await next(request, context)
    }
}

/// Builds responses for test routes.
enum Reply {
    static func make(_ status: HTTPResponse.Status, body: [UInt8] = [], headers: [String: String] = [:]) -> Response {
        var fields = HTTPFields()
        for (name, value) in headers { fields[HTTPFields.Element.Name(name)!] = value }
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok, headers: [String: String] = [:]) -> Response {
        make(status, body: Array(text.utf8), headers: headers.merging(["Content-Type": "application/json"]) { a, _ in a })
    }
}

/// Runs an HTTP/1.1 server on 127.0.0.1 and an ephemeral port for the duration of `body`,
/// which gets the server's base URL (`http://127.0.0.1:PORT`) and its hit log.
func withTestServer(
    routes: (Router<TestContext>, HitLog) -> Void,
    _ body: (String, HitLog) async throws -> Void
) async throws {
    let log = HitLog()
    let router = Router(context: TestContext.self)
    router.add(middleware: HitMiddleware(log: log))
    routes(router, log)

    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    var logger = Logger(label: "rest-tests.server")
    logger.logLevel = .critical  // cancellation at shutdown logs errors
    let app = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
            portContinuation.finish()
        },
        logger: logger
    )
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.runService(gracefulShutdownSignals: []) }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            group.cancelAll()
            throw ServerDidNotStart()
        }
        do {
            try await body("http://127.0.0.1:\(port)", log)
        } catch {
            log.release()
            group.cancelAll()
            throw error
        }
        log.release()
        group.cancelAll()
    }
}

struct ServerDidNotStart: Error {}
