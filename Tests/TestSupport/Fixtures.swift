import Foundation

/// The team's shared Binance fixtures: `../shared/fixtures` beside the checkout (as on every
/// developer machine and in CI), or the folder named by ALPHAPULSE_FIXTURES.
public enum Fixtures {
    public static var root: String {
        if let override = ProcessInfo.processInfo.environment["ALPHAPULSE_FIXTURES"], !override.isEmpty { return override }
        // This file is Tests/TestSupport/Fixtures.swift inside the checkout.
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return checkout.deletingLastPathComponent().appendingPathComponent("shared/fixtures").path
    }

    /// One month of real 1m klines for 7 USDT-M perpetuals (data.binance.vision format, with header).
    public static var futuresKlines: String { root + "/binance/klines/futures" }
    /// Raw WebSocket frames as Binance sent them.
    public static var frames: String { root + "/binance/frames" }
}
