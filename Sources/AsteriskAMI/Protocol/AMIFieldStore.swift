/// The field positions of many decoded messages in one allocation.
///
/// A message used to own an array of its fields: one allocation and one free per event, a tenth of the decoder's
/// time at a million events a second. The decoder now copies each finished message's fields into the store it is
/// filling and the message keeps a reference and its range; a full store is left to the messages that use it and a
/// new one is started.
///
/// Sendable without a lock because a slot is written once, by the one decoder that fills the store, before the
/// message that covers it exists, and never again; messages only read their own slots. (A copied decoder moves to a
/// store of its own before it writes: see `AMIDecoder.owner`.)
final class AMIFieldStore: @unchecked Sendable {
    /// Fields per store: 4,096 × 16 bytes, room for about 200 typical events.
    static let defaultCapacity = 4096

    private let base: UnsafeMutablePointer<AMIMessage.Field>
    private let capacity: Int
    // Only the decoder that owns the store writes it (see above): no dynamic exclusivity check per message.
    @exclusivity(unchecked) private var used = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Copies `fields` into free slots; nil when they do not fit.
    func append(_ fields: UnsafeBufferPointer<AMIMessage.Field>) -> Int? {
        guard capacity - used >= fields.count else { return nil }
        let start = used
        if let source = fields.baseAddress { (base + start).initialize(from: source, count: fields.count) }
        used += fields.count
        return start
    }

    /// The fields at `start..<start + count`; valid while the store is alive (the caller keeps it).
    func fields(start: Int, count: Int) -> UnsafeBufferPointer<AMIMessage.Field> {
        UnsafeBufferPointer(start: base + start, count: count)
    }
}
