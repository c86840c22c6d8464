/// A minimal gzip writer (RFC 1952) using only stored (uncompressed) deflate blocks: valid
/// gzip that any decoder, libcurl's zlib included, must accept.
enum StoredGzip {
    static func encode(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF]
        var offset = 0
        repeat {
            let length = min(65_535, data.count - offset)
            let isFinal = offset + length == data.count
            out.append(isFinal ? 0x01 : 0x00)
            out.append(contentsOf: littleEndian16(UInt16(length)))
            out.append(contentsOf: littleEndian16(~UInt16(length)))
            out.append(contentsOf: data[offset..<offset + length])
            offset += length
        } while offset < data.count
        out.append(contentsOf: littleEndian32(crc32(data)))
        out.append(contentsOf: littleEndian32(UInt32(truncatingIfNeeded: data.count)))
        return out
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    private static func littleEndian16(_ value: UInt16) -> [UInt8] {
        [UInt8(value & 0xFF), UInt8(value >> 8)]
    }

    private static func littleEndian32(_ value: UInt32) -> [UInt8] {
        (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) }
    }
}
