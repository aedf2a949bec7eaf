/// The moves the pipeline allows (DESIGN.md):
///
/// ```
/// lead → firm → account → client
///          ↓        ↓   ↘ (falls back to) firm
///        parked ◀───┘
/// parked → the stage it left (revive)
/// ```
/// Anything else is refused with a reason that says what to do instead.
public enum Pipeline {
    /// Throws ``CRMError/transitionNotAllowed(company:from:to:why:)`` when `from → to` is not a move of the design.
    public static func check(company: String, from: Stage, to: Stage, parkedFrom: Stage?) throws(CRMError) {
        func refuse(_ why: String) -> CRMError { .transitionNotAllowed(company: company, from: from, to: to, why: why) }
        if from == to { throw refuse("it is already \(to.rawValue)") }
        switch (from, to) {
        case (.lead, .firm), (.firm, .account), (.account, .client), (.firm, .parked), (.account, .parked), (.account, .firm):
            return
        case (.parked, let target):
            guard let left = parkedFrom else { throw refuse("the stage it was parked from is unknown") }
            if target != left { throw refuse("a parked company is revived to the stage it left (\(left.rawValue))") }
        case (.lead, .parked):
            throw refuse("only a firm or an account is parked; a lead that is not worth calling is deleted, or made a firm first")
        case (.client, _):
            throw refuse("a client stays a client")
        case (_, .lead):
            throw refuse("nothing goes back to lead")
        default:
            let order = Stage.pipeline.map(\.rawValue).joined(separator: " → ")
            if to > from { throw refuse("stages cannot be skipped (\(order))") }
            throw refuse("an account falls back to firm; nothing else moves backwards (\(order))")
        }
    }
}
