import CZlib

/// Reads the entries of a zip archive held in memory (as data.binance.vision ships its klines):
/// the central directory locates each entry; stored and deflated entries are supported and
/// every extracted entry is checked against its CRC-32. ZIP64 and encrypted entries are rejected.
public struct ZipArchive: Sendable {
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var method: UInt16
        public var flags: UInt16
        public var crc32: UInt32
        public var compressedSize: Int
        public var uncompressedSize: Int
        public var localHeaderOffset: Int
    }

    /// Why an archive could not be read (the caller adds the file name).
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// Largest entry we extract, in bytes; kline archives are a few MB (a month of 1m rows is
    /// ~4 MB), so 1 GiB leaves ample room while keeping a crafted archive from exhausting memory.
    public static let maximumEntrySize = 1 << 30

    /// Deflate's densest encoding turns 2 bits into a 258-byte match, so it expands by at most
    /// 1032:1 (plus a little for very short streams). A declared size beyond that is a lie.
    static func maximumInflatedSize(compressed: Int) -> Int {
        compressed * 1032 + 1024
    }

    /// The most reserved for an entry's output before any byte is inflated; it grows from there
    /// only as real data comes out.
    static let initialOutputCapacity = 4 << 20

    public let bytes: [UInt8]
    /// The archive's entries, in central-directory order.
    public let entries: [Entry]

    /// Reads the central directory.
    /// - Throws: `Failure` when the bytes are not a zip archive this reader supports.
    public init(bytes: [UInt8]) throws(Failure) {
        self.bytes = bytes
        self.entries = try Self.readCentralDirectory(bytes)
    }

    /// The uncompressed content of `entry`.
    /// - Throws: `Failure` for an encrypted, oversized, truncated or corrupt (CRC) entry.
    public func extract(_ entry: Entry) throws(Failure) -> [UInt8] {
        guard entry.flags & 1 == 0 else { throw Failure("entry \(entry.name) is encrypted") }
        guard entry.uncompressedSize <= Self.maximumEntrySize else { throw Failure("entry \(entry.name) is too large") }
        let header = entry.localHeaderOffset
        guard header + 30 <= bytes.count, read32(header) == 0x0403_4b50 else {
            throw Failure("bad local header for entry \(entry.name)")
        }
        let start = header + 30 + Int(read16(header + 26)) + Int(read16(header + 28))
        let end = start + entry.compressedSize
        guard end <= bytes.count else { throw Failure("entry \(entry.name) is truncated") }
        let output: [UInt8]
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.uncompressedSize else {
                throw Failure("stored entry \(entry.name) has inconsistent sizes")
            }
            output = Array(bytes[start..<end])
        case 8:
            output = try inflateRaw(bytes[start..<end], expected: entry.uncompressedSize, name: entry.name)
        default:
            throw Failure("entry \(entry.name) uses unsupported compression method \(entry.method)")
        }
        let checksum = output.withUnsafeBufferPointer { buffer in
            UInt32(truncatingIfNeeded: CZlib.crc32(0, buffer.baseAddress, uInt(buffer.count)))
        }
        guard checksum == entry.crc32 else { throw Failure("CRC mismatch in entry \(entry.name)") }
        return output
    }

    private static func readCentralDirectory(_ bytes: [UInt8]) throws(Failure) -> [Entry] {
        // The end-of-central-directory record is 22 bytes plus a comment of up to 65,535 bytes.
        guard bytes.count >= 22 else { throw Failure("not a zip archive (too short)") }
        var eocd = -1
        var position = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65_535)
        while position >= lowest {
            if bytes[position] == 0x50, readLE32(bytes, position) == 0x0605_4b50 { eocd = position; break }
            position -= 1
        }
        guard eocd >= 0 else { throw Failure("not a zip archive (no end of central directory)") }
        let count = Int(readLE16(bytes, eocd + 10))
        let size = Int(readLE32(bytes, eocd + 12))
        let offset = Int(readLE32(bytes, eocd + 16))
        guard count != 0xFFFF, size != 0xFFFF_FFFF, offset != 0xFFFF_FFFF else { throw Failure("ZIP64 archives are not supported") }
        guard offset + size <= eocd else { throw Failure("central directory out of bounds") }
        var entries: [Entry] = []
        var cursor = offset
        for _ in 0..<count {
            guard cursor + 46 <= bytes.count, readLE32(bytes, cursor) == 0x0201_4b50 else {
                throw Failure("bad central directory entry")
            }
            let nameLength = Int(readLE16(bytes, cursor + 28))
            let extraLength = Int(readLE16(bytes, cursor + 30))
            let commentLength = Int(readLE16(bytes, cursor + 32))
            let nameEnd = cursor + 46 + nameLength
            guard nameEnd <= bytes.count else { throw Failure("bad central directory entry") }
            let compressed = readLE32(bytes, cursor + 20)
            let uncompressed = readLE32(bytes, cursor + 24)
            let local = readLE32(bytes, cursor + 42)
            guard compressed != 0xFFFF_FFFF, uncompressed != 0xFFFF_FFFF, local != 0xFFFF_FFFF else {
                throw Failure("ZIP64 entries are not supported")
            }
            entries.append(Entry(
                name: String(decoding: bytes[(cursor + 46)..<nameEnd], as: UTF8.self),
                method: readLE16(bytes, cursor + 10),
                flags: readLE16(bytes, cursor + 8),
                crc32: readLE32(bytes, cursor + 16),
                compressedSize: Int(compressed),
                uncompressedSize: Int(uncompressed),
                localHeaderOffset: Int(local)
            ))
            cursor = nameEnd + extraLength + commentLength
        }
        return entries
    }

    /// Inflates `input` in chunks, never holding more than it produced and never more than
    /// `expected` bytes: the declared size from the central directory is checked against
    /// what the compressed bytes can hold, and the output against it as it grows.
    private func inflateRaw(_ input: ArraySlice<UInt8>, expected: Int, name: String) throws(Failure) -> [UInt8] {
        guard expected <= Self.maximumInflatedSize(compressed: input.count) else {
            throw Failure("entry \(name) declares \(expected) bytes, more than its \(input.count) compressed bytes can hold")
        }
        var output: [UInt8] = []
        output.reserveCapacity(min(expected, Self.initialOutputCapacity))
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var stream = z_stream()
        guard ap_inflate_init2(&stream, -15) == Z_OK else { throw Failure("zlib could not start inflating \(name)") }
        defer { inflateEnd(&stream) }
        var input = input
        var status = Z_OK
        input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            while status == Z_OK {
                let produced = chunk.withUnsafeMutableBufferPointer { target -> Int in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return target.count - Int(stream.avail_out)
                }
                // More than declared: stop before holding it (the spare room is one chunk at most).
                if output.count + produced > expected {
                    status = Z_DATA_ERROR
                    return
                }
                output.append(contentsOf: chunk[..<produced])
            }
        }
        // Z_BUF_ERROR here means the input ran out first: a truncated stream.
        stream.next_in = nil
        guard status == Z_STREAM_END, output.count == expected else {
            throw Failure("entry \(name) does not inflate to \(expected) bytes (zlib status \(status))")
        }
        return output
    }

    private func read16(_ offset: Int) -> UInt16 { readLE16(bytes, offset) }
    private func read32(_ offset: Int) -> UInt32 { readLE32(bytes, offset) }
}

private func readLE16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
    UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
}

private func readLE32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
}
