/// Compact number formatting for vote reasons, without Foundation (and cheap: reasons are built
/// on every evaluation).
enum ReasonFormat {
    /// `value` with `digits` decimals ("28.4", "-0.05"); "n/a" when not finite.
    static func decimal(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "n/a" }
        let digits = max(0, min(digits, 12))
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9.0e15 else { return String(value) }
        // Digits written backwards into a small buffer: no intermediate strings.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            var n = UInt64(scaled)
            var i = 32
            var written = 0
            while n > 0 || written <= digits {
                if written == digits && digits > 0 {
                    i -= 1
                    buffer[i] = UInt8(ascii: ".")
                }
                i -= 1
                buffer[i] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
                written += 1
            }
            if value < 0 && scaled > 0 {
                i -= 1
                buffer[i] = UInt8(ascii: "-")
            }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[i..<32]), as: UTF8.self)
        }
    }

    /// A price with about six significant digits ("65432.1", "1.23456", "0.0000123456");
    /// `trimmingZeros` drops the fraction's trailing zeros ("99.85" rather than "99.8500").
    static func price(_ value: Double, trimmingZeros: Bool = false) -> String {
        guard value.isFinite, value != 0 else { return decimal(value, 2) }
        var magnitude = 0
        var v = abs(value)
        while v >= 10 {
            v /= 10
            magnitude += 1
        }
        while v < 1 {
            v *= 10
            magnitude -= 1
        }
        var text = decimal(value, max(0, min(12, 5 - magnitude)))
        if trimmingZeros, text.utf8.contains(UInt8(ascii: ".")) {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// A fraction as a percentage with `digits` decimals: 0.0123 → "1.23%" (or "+1.23%" when
    /// `signed`).
    static func percent(_ fraction: Double, _ digits: Int = 2, signed: Bool = false) -> String {
        let text = decimal(fraction * 100, digits) + "%"
        return signed && fraction > 0 && text != decimal(0, digits) + "%" ? "+" + text : text
    }

    /// "on the last bar", "1 bar ago", "3 bars ago".
    static func barsAgo(_ bars: Int) -> String {
        bars == 0 ? "on the last bar" : (bars == 1 ? "1 bar ago" : "\(bars) bars ago")
    }

    /// A fraction as a whole percentage: 0.705 → "71 %".
    static func wholePercent(_ fraction: Double) -> String { decimal(fraction * 100, 0) + " %" }

    /// "HH:MM" of a Unix-ms moment, UTC.
    static func clock(_ milliseconds: Int64) -> String {
        let minute = Int((milliseconds / 60_000) % 1440)
        let h = minute / 60
        let m = minute % 60
        return (h < 10 ? "0" : "") + String(h) + ":" + (m < 10 ? "0" : "") + String(m)
    }
}
