/// The field positions of many decoded messages in one allocation.
///
/// A message used to own an array of its fields: one allocation and one free per event, a tenth of the decoder's
/// time at a million events a second. The decoder now copies each finished message's fields into the store it is
/// filling and the message keeps a reference and its range; a full store is left to the messages that use it and a
/// new one is started.
///
/// Sendable without a lock because a slot is written once, by the one decoder that fills the store, before the
/// message that covers it exists, and never again; messages only read their own slots. (A copied decoder moves to a
/// store of its own before it writes: see `AMIDecoder.decode(buffer:)`.)
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

/// The fields of the message a decoder is reading, until it is complete: a growable buffer without the uniqueness
/// check an array makes on every append (a typical event has 17 fields).
///
/// One decoder writes it. The decoder is a value; a copy shares this buffer, so a decoder whose buffer is shared
/// takes a copy of its own (and a store of its own) before it writes: see `AMIDecoder.decode(buffer:)`.
final class FieldScratch {
    @exclusivity(unchecked) private var base: UnsafeMutablePointer<AMIMessage.Field>
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private(set) var count = 0

    init(capacity: Int = 32) {
        self.capacity = max(1, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    var isEmpty: Bool { count == 0 }
    /// The fields so far; valid until the next append.
    var fields: UnsafeBufferPointer<AMIMessage.Field> { UnsafeBufferPointer(start: base, count: count) }

    @inline(__always)
    func append(_ field: AMIMessage.Field) {
        if count == capacity { grow() }
        (base + count).initialize(to: field)
        count += 1
    }

    /// Fields are plain values: forgetting them is resetting the count.
    func removeAll() { count = 0 }

    func copy() -> FieldScratch {
        let copy = FieldScratch(capacity: capacity)
        copy.base.initialize(from: base, count: count)
        copy.count = count
        return copy
    }

    private func grow() {
        let larger = UnsafeMutablePointer<AMIMessage.Field>.allocate(capacity: capacity * 2)
        larger.initialize(from: base, count: count)
        base.deallocate()
        base = larger
        capacity *= 2
    }
}
