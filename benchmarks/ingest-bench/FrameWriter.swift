import NIOCore

/// Byte-level writing of server-to-client WebSocket frames (unmasked) and the JSON numbers
/// inside them, without intermediate strings.
enum FrameWriter {
    /// Writes one text frame whose payload `body` appends. Payloads are 126…65,535 bytes
    /// (every generated frame is), so the header is always the 4-byte form.
    static func text(into buffer: inout ByteBuffer, _ body: (inout ByteBuffer) -> Void) {
        let start = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        body(&buffer)
        let length = buffer.writerIndex - start - 4
        precondition(length >= 126 && length <= 65_535, "generated frame of \(length) bytes")
        buffer.setInteger(UInt32(0x817E_0000) | UInt32(length), at: start)
    }

    /// Writes a whole frame of any payload size (replies, pongs, close).
    static func frame(opcode: UInt8, payload: [UInt8], into buffer: inout ByteBuffer) {
        buffer.writeInteger(0x80 | opcode)
        if payload.count < 126 {
            buffer.writeInteger(UInt8(payload.count))
        } else if payload.count <= 65_535 {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(payload.count))
        } else {
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(payload.count))
        }
        buffer.writeBytes(payload)
    }

    /// A non-negative integer in decimal.
    static func integer(_ value: Int64, into buffer: inout ByteBuffer) {
        precondition(value >= 0, "negative number in a generated frame")
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        let count = withUnsafeMutableBytes(of: &digits) { raw -> Int in
            var rest = UInt64(value)
            var index = raw.count
            repeat {
                index -= 1
                raw[index] = UInt8(truncatingIfNeeded: 48 + rest % 10)
                rest /= 10
            } while rest > 0
            return raw.count - index
        }
        withUnsafeBytes(of: &digits) { raw in
            _ = buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[(raw.count - count)...]))
        }
    }

    /// `value` / 10^decimals as a decimal with exactly `decimals` fraction digits.
    static func fixed(_ value: Int64, decimals: Int, into buffer: inout ByteBuffer) {
        var scale: Int64 = 1
        for _ in 0..<decimals { scale *= 10 }
        integer(value / scale, into: &buffer)
        buffer.writeInteger(UInt8(ascii: "."))
        var fraction = value % scale
        var divisor = scale / 10
        while divisor > 0 {
            buffer.writeInteger(UInt8(48 + fraction / divisor))
            fraction %= divisor
            divisor /= 10
        }
    }
}
