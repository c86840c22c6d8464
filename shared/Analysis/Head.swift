/// An analysis head: a pure, explainable rule set from market data to a vote.
///
/// Heads do no I/O and read no clock: everything they may use is in the input, so the live
/// service and the backtest get the same answer for the same data.
public protocol Head: Sendable {
    var kind: HeadKind { get }
    func evaluate(_ input: AnalysisInput) -> Vote
}
