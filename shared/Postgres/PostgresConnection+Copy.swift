import CLibPQ

/// Describes an idempotent bulk upsert: rows are keyed by `conflictColumns`; a repeated key
/// updates `updateColumns` (by default every other column) instead of adding a row.
public struct BulkUpsert: Sendable {
    public var table: String
    public var columns: [String]
    public var conflictColumns: [String]
    public var updateColumns: [String]

    public init(table: String, columns: [String], conflictColumns: [String], updateColumns: [String]? = nil) {
        precondition(Set(conflictColumns).isSubset(of: columns), "conflict columns must be among the columns")
        self.table = table
        self.columns = columns
        self.conflictColumns = conflictColumns
        self.updateColumns = updateColumns ?? columns.filter { !conflictColumns.contains($0) }
    }
}

extension PostgresConnection {
    /// Streams `buffer` into `table` with COPY FROM STDIN and returns the rows copied.
    @discardableResult
    public func copy(into table: String, columns: [String], from buffer: CopyBuffer) async throws -> Int {
        precondition(columns.count == buffer.columnCount, "buffer has \(buffer.columnCount) columns, \(columns.count) named")
        let sql = "COPY \(PostgresQuery.quoteIdentifier(table)) (\(columns.map(PostgresQuery.quoteIdentifier).joined(separator: ", "))) FROM STDIN"
        let bytes = buffer.bytes
        return try await withHandle { handle in
            let start = PQexec(handle, sql)
            defer { PQclear(start) }
            guard let start, PQresultStatus(start) == PGRES_COPY_IN else {
                throw Self.error(result: start, handle: handle, cancelled: false)
            }
            var failure: String?
            let chunk = 1 << 20
            bytes.withUnsafeBufferPointer { buffer in
                var offset = 0
                while offset < buffer.count {
                    let length = min(chunk, buffer.count - offset)
                    let sent = buffer.baseAddress!.advanced(by: offset).withMemoryRebound(to: CChar.self, capacity: length) {
                        PQputCopyData(handle, $0, Int32(length))
                    }
                    if sent != 1 {
                        failure = String(cString: PQerrorMessage(handle))
                        return
                    }
                    offset += length
                }
            }
            _ = PQputCopyEnd(handle, failure)
            var rows = 0
            var firstError: PostgresError?
            while let result = PQgetResult(handle) {
                defer { PQclear(result) }
                if PQresultStatus(result) == PGRES_COMMAND_OK {
                    rows = Int(String(cString: PQcmdTuples(result))) ?? 0
                } else if firstError == nil {
                    firstError = Self.error(result: result, handle: handle, cancelled: false)
                }
            }
            if let firstError { throw firstError }
            if let failure {
                throw PostgresError(.connectionLost, message: failure, connectionUsable: PQstatus(handle) == CONNECTION_OK)
            }
            return rows
        }
    }

    /// Upserts every row of `buffer` in one round of COPY + INSERT … ON CONFLICT.
    ///
    /// Rows go to a session temp table by COPY, then one statement moves them into the target
    /// table; when the batch repeats a key, its last row wins. Rows identical to what is stored
    /// are left untouched, so running the same batch twice changes nothing.
    /// Runs in a transaction of its own unless the connection is already in one.
    /// - Returns: rows inserted or changed.
    @discardableResult
    public func bulkUpsert(_ spec: BulkUpsert, rows buffer: CopyBuffer) async throws -> Int {
        guard buffer.rowCount > 0 else { return 0 }
        let quote = PostgresQuery.quoteIdentifier
        // One staging table per target table and column list, reused for the whole session.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (spec.table + "|" + spec.columns.joined(separator: ",")).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let staging = "ap_bulk_" + String(hash, radix: 36)
        let columns = spec.columns.map(quote).joined(separator: ", ")
        let keys = spec.conflictColumns.map(quote).joined(separator: ", ")
        // Most batches repeat no key, so the rows go in unsorted; a batch that does repeat one
        // makes PostgreSQL refuse (21000: "cannot affect row a second time") and is redone
        // de-duplicated, keeping the last row of each key.
        var conflict = " ON CONFLICT (\(keys)) DO"
        if spec.updateColumns.isEmpty {
            conflict += " NOTHING"
        } else {
            let assignments = spec.updateColumns.map { "\(quote($0)) = EXCLUDED.\(quote($0))" }.joined(separator: ", ")
            let current = spec.updateColumns.map { "t.\(quote($0))" }.joined(separator: ", ")
            let incoming = spec.updateColumns.map { "EXCLUDED.\(quote($0))" }.joined(separator: ", ")
            conflict += " UPDATE SET \(assignments) WHERE (\(current)) IS DISTINCT FROM (\(incoming))"
        }
        let insert = "INSERT INTO \(quote(spec.table)) AS t (\(columns))"
        let unsorted = "SAVEPOINT ap_bulk; \(insert) SELECT \(columns) FROM \(quote(staging))\(conflict)"
        let deduplicated = """
            \(insert) SELECT DISTINCT ON (\(keys)) \(columns) FROM \(quote(staging))
            ORDER BY \(keys), ctid DESC\(conflict)
            """
        let ownTransaction = await transactionState() == .idle
        let createStaging = """
            CREATE TEMP TABLE IF NOT EXISTS \(quote(staging)) ON COMMIT DELETE ROWS AS
                SELECT \(columns) FROM \(quote(spec.table)) WITH NO DATA
            """
        // In a transaction of our own the staging table starts empty (ON COMMIT DELETE ROWS);
        // inside the caller's, an earlier batch may have left rows in it.
        do {
            try await execute(unsafeScript: ownTransaction ? "BEGIN; \(createStaging)" : "\(createStaging); TRUNCATE \(quote(staging))")
            try await copy(into: staging, columns: spec.columns, from: buffer)
            let changed: Int
            if spec.updateColumns.isEmpty {
                // DO NOTHING never refuses a repeated key, so only the sorted form keeps the last row.
                changed = try await execute(unsafeScript: deduplicated)
            } else {
                do {
                    changed = try await execute(unsafeScript: unsorted)
                } catch let error as PostgresError where error.sqlState == "21000" {
                    // One script: the affected-row count is the de-duplicated insert's.
                    changed = try await execute(unsafeScript: "ROLLBACK TO SAVEPOINT ap_bulk; \(deduplicated)")
                }
            }
            if ownTransaction { try await execute("COMMIT") }
            return changed
        } catch {
            if ownTransaction { _ = try? await executeCleanup("ROLLBACK") }
            throw error
        }
    }
}
