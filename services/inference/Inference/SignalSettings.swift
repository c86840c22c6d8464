import Analysis
import Core

extension ConsensusRules {
    /// The rules the configuration sets (`consensus.*`).
    public init(_ settings: AlphaPulseConfig.Signals) {
        var weights: [HeadKind: Double] = [:]
        for (name, weight) in settings.weights {
            if let head = HeadKind(rawValue: name) { weights[head] = weight }
        }
        self.init(
            probabilityFloor: settings.probabilityFloor, confidenceFloor: settings.confidenceFloor,
            minimumAgreeing: settings.minHeads, weights: weights)
    }
}

extension SignalRules {
    /// The rules the configuration sets (`signals.*`).
    public init(_ settings: AlphaPulseConfig.Signals) {
        self.init(
            stopATRMultiple: settings.stopATRMultiple, target1R: settings.target1R, target2R: settings.target2R,
            winAt: WinningTarget(rawValue: settings.winAt) ?? .target1,
            expiryMilliseconds: Int64((settings.expiryMinutes * 60_000).rounded()),
            cooldownMilliseconds: Int64((settings.cooldownMinutes * 60_000).rounded()))
    }
}

extension StopATR {
    public init(_ settings: AlphaPulseConfig.Signals) {
        self.init(interval: settings.atrInterval, period: settings.atrPeriod)
    }
}
