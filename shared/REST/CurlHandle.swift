import CCurl
import Synchronization
import Threads

/// Set from a task's cancellation handler, polled by libcurl's progress callback.
final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    func cancel() { flag.store(true, ordering: .relaxed) }
    var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

/// Everything one transfer needs, as plain values.
struct CurlTransferOptions: Sendable {
    var url: String
    var method: RESTClient.Method
    var headers: RESTClient.Headers
    var body: [UInt8]?
    var userAgent: String
    var timeoutMilliseconds: Int
    var connectTimeoutMilliseconds: Int
    var maxResponseBytes: Int
}

/// What one transfer produced.
struct CurlTransferResult: Sendable {
    /// The `CURLcode`; 0 is success, whatever the HTTP status.
    var code: Int
    var message: String
    var status: Int
    var headers: RESTClient.Headers
    var body: [UInt8]
    /// Connections libcurl opened for this transfer (0 when one was reused).
    var newConnections: Int
    /// Bytes of request sent; 0 means the server cannot have seen the request.
    var requestBytes: Int
    var cancelled: Bool
    var bodyTooLarge: Bool

    var succeeded: Bool { code == Int(CURLE_OK.rawValue) }
}

/// One libcurl easy handle plus the serial queue that is the only place it is ever touched.
///
/// The handle outlives its transfers so its connection cache keeps connections alive between
/// requests; `curl_easy_reset` between transfers clears options but keeps those connections.
final class CurlHandle: @unchecked Sendable {
    // @unchecked: `easy` and `errorBuffer` are only used on `queue` (and in deinit, when no
    // transfer can be running any more).
    private let easy: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let queue: BlockingQueue

    /// Returns nil when libcurl cannot allocate a handle.
    init?(label: String) {
        _ = curlGlobalInit
        guard let easy = curl_easy_init() else { return nil }
        self.easy = easy
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        self.queue = BlockingQueue(label: label)
    }

    deinit {
        curl_easy_cleanup(easy)
        errorBuffer.deallocate()
    }

    /// Runs one transfer on this handle's queue. Never throws: failures come back as `code`.
    func perform(_ options: CurlTransferOptions, cancellation: CancellationFlag) async -> CurlTransferResult {
        await queue.run { self.performBlocking(options, cancellation: cancellation) }
    }

    private func performBlocking(_ options: CurlTransferOptions, cancellation: CancellationFlag) -> CurlTransferResult {
        let context = TransferContext(cancellation: cancellation, maxBodyBytes: options.maxResponseBytes)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }

        curl_easy_reset(easy)
        errorBuffer[0] = 0
        var setupError = CURLE_OK
        func check(_ code: CURLcode) {
            if setupError == CURLE_OK && code != CURLE_OK { setupError = code }
        }

        check(ap_curl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer))
        check(ap_curl_easy_setopt_string(easy, CURLOPT_URL, options.url))
        check(ap_curl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"))
        check(ap_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        check(ap_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, options.timeoutMilliseconds))
        check(ap_curl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, options.connectTimeoutMilliseconds))
        check(ap_curl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1))
        // "" = advertise and transparently decode every encoding this libcurl supports.
        check(ap_curl_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, ""))
        check(ap_curl_easy_setopt_string(easy, CURLOPT_USERAGENT, options.userAgent))

        let contextPointer = Unmanaged.passUnretained(context).toOpaque()
        check(ap_curl_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, curlWriteCallback))
        check(ap_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, contextPointer))
        check(ap_curl_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback))
        check(ap_curl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, contextPointer))
        check(ap_curl_easy_setopt_long(easy, CURLOPT_NOPROGRESS, 0))
        check(ap_curl_easy_setopt_xferinfo_callback(easy, curlProgressCallback))
        check(ap_curl_easy_setopt_pointer(easy, CURLOPT_XFERINFODATA, contextPointer))

        // "Expect:" stops libcurl's 100-continue round trip for bodies.
        for line in options.headers.map(Self.headerLine) + ["Expect:"] {
            guard let appended = curl_slist_append(headerList, line) else {
                check(CURLE_OUT_OF_MEMORY)
                break
            }
            headerList = appended
        }
        check(ap_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList))

        switch options.method {
        case .get where options.body == nil:
            check(ap_curl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1))
        case .head:
            check(ap_curl_easy_setopt_long(easy, CURLOPT_NOBODY, 1))
        case .post:
            check(ap_curl_easy_setopt_long(easy, CURLOPT_POST, 1))
            setBody(options.body ?? [], check: check)
        default:
            check(ap_curl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, options.method.rawValue))
            if let body = options.body { setBody(body, check: check) }
        }

        let code = setupError == CURLE_OK ? curl_easy_perform(easy) : setupError
        withExtendedLifetime(context) {}

        var status = 0
        var connects = 0
        var requestSize = 0
        _ = ap_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        _ = ap_curl_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects)
        _ = ap_curl_easy_getinfo_long(easy, CURLINFO_REQUEST_SIZE, &requestSize)
        let message = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        return CurlTransferResult(
            code: Int(code.rawValue),
            message: message,
            status: status,
            headers: context.headers,
            body: context.body,
            newConnections: connects,
            requestBytes: requestSize,
            cancelled: code == CURLE_ABORTED_BY_CALLBACK && cancellation.isCancelled,
            bodyTooLarge: context.bodyTooLarge
        )
    }

    private func setBody(_ body: [UInt8], check: (CURLcode) -> Void) {
        check(ap_curl_easy_setopt_offset(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
        // COPYPOSTFIELDS copies the bytes, so the array need not outlive this call.
        body.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress {
                check(ap_curl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: base)))
            } else {
                check(ap_curl_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, ""))
            }
        }
    }

    /// `Name: value`; libcurl needs `Name;` to send a header with an empty value.
    private static func headerLine(_ field: (name: String, value: String)) -> String {
        field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)"
    }
}

/// Initialises libcurl once per process, before the first handle (Swift globals are lazy and
/// thread-safe).
private let curlGlobalInit: CURLcode = ap_curl_global_init_default()

/// Per-transfer state the C callbacks write into; only touched on the handle's queue.
private final class TransferContext {
    let cancellation: CancellationFlag
    let maxBodyBytes: Int
    var body: [UInt8] = []
    var headers = RESTClient.Headers()
    var bodyTooLarge = false

    init(cancellation: CancellationFlag, maxBodyBytes: Int) {
        self.cancellation = cancellation
        self.maxBodyBytes = maxBodyBytes
    }
}

private func transferContext(_ userdata: UnsafeMutableRawPointer?) -> TransferContext {
    Unmanaged<TransferContext>.fromOpaque(userdata!).takeUnretainedValue()
}

private let curlWriteCallback: ap_curl_data_callback = { data, size, count, userdata in
    let context = transferContext(userdata)
    let length = size * count
    guard context.body.count + length <= context.maxBodyBytes else {
        context.bodyTooLarge = true
        return 0  // makes libcurl fail with CURLE_WRITE_ERROR
    }
    if let data, length > 0 {
        data.withMemoryRebound(to: UInt8.self, capacity: length) {
            context.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
        }
    }
    return length
}

private let curlHeaderCallback: ap_curl_data_callback = { data, size, count, userdata in
    let context = transferContext(userdata)
    let length = size * count
    guard let data, length > 0 else { return length }
    let line = data.withMemoryRebound(to: UInt8.self, capacity: length) {
        String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
    }
    if line.hasPrefix("HTTP/") {
        // A new status line: drop the headers of an interim (1xx) response.
        context.headers = RESTClient.Headers()
    } else if let field = RESTClient.Headers.parseLine(line) {
        context.headers.add(name: field.name, value: field.value)
    }
    return length
}

private let curlProgressCallback: ap_curl_xferinfo_callback = { userdata, _, _, _, _ in
    transferContext(userdata).cancellation.isCancelled ? 1 : 0
}
