/// A set of sequence numbers or UIDs: `1:5,7,9:*` (RFC 3501 §9 `sequence-set`). `*` is kept as `UInt32.max`.
public struct IMAPSequenceSet: Sendable, Hashable, CustomStringConvertible {
    public var ranges: [ClosedRange<UInt32>]

    public init(_ ranges: [ClosedRange<UInt32>]) { self.ranges = ranges }
    public init(_ range: ClosedRange<UInt32>) { ranges = [range] }

    /// The set as the wire writes it (`*` for `UInt32.max`).
    public var description: String {
        ranges.map { range in
            func text(_ n: UInt32) -> String { n == .max ? "*" : String(n) }
            return range.lowerBound == range.upperBound ? text(range.lowerBound) : "\(text(range.lowerBound)):\(text(range.upperBound))"
        }.joined(separator: ",")
    }

    public func contains(_ value: UInt32) -> Bool { ranges.contains { $0.contains(value) } }

    /// How many numbers the set holds (a `*` end counts up to `UInt32.max`).
    public var count: Int { ranges.reduce(0) { $0 + Int($1.upperBound - $1.lowerBound) + 1 } }
}
