/// Channels and bridges by their Asterisk id (`Uniqueid`, `BridgeUniqueid`), found from the bytes of an event's
/// header without making a `String` of them.
///
/// Nearly every event names a channel or a bridge; a `[String: …]` lookup first copied the id out of the event
/// into a heap string (ids are 30–40 bytes, past Swift's inline strings) and SipHashed it: about a quarter of call
/// tracking. Here an id is hashed straight from the event's bytes and compared with the stored key in place. Open
/// addressing with linear probing and backward-shift deletion (no tombstones, so a PBX running for months does not
/// slow the table down). The hash is seeded per table, so where an id lands differs from run to run.
struct IdentifierTable<Value: AnyObject> {
    // Three parallel arrays, so a probe reads plain hashes (no reference counting) and touches a key only when its
    // hash matches. A hash of 0 marks an empty slot (a computed 0 is stored as 1).
    private var hashes: [UInt64]
    private var keyStore: [String]
    private var valueStore: [Value?]
    private var mask: Int
    private(set) var count = 0
    private let seed: UInt64

    init(capacity: Int = 64) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        hashes = Array(repeating: 0, count: size)
        keyStore = Array(repeating: "", count: size)
        valueStore = Array(repeating: nil, count: size)
        mask = size - 1
        seed = UInt64.random(in: .min ... .max)
    }

    var isEmpty: Bool { count == 0 }

    var values: [Value] { valueStore.compactMap { $0 } }
    var keys: [String] { hashes.indices.compactMap { hashes[$0] == 0 ? nil : keyStore[$0] } }

    // MARK: lookups

    /// The value stored under the id whose UTF-8 bytes are `id`.
    subscript(id id: UnsafeRawBufferPointer) -> Value? {
        guard !isEmpty, let index = find(id, hash: hash(id)) else { return nil }
        return valueStore[index]
    }

    subscript(key: String) -> Value? {
        get {
            var key = key
            return key.withUTF8 { self[id: UnsafeRawBufferPointer($0)] }
        }
        set {
            if let newValue { insert(key, newValue) } else { removeValue(forKey: key) }
        }
    }

    // MARK: changes

    /// Stores `value` under `key`, replacing what was there.
    mutating func insert(_ key: String, _ value: Value) {
        var key = key
        let (hash, existing) = key.withUTF8 { bytes -> (UInt64, Int?) in
            let id = UnsafeRawBufferPointer(bytes)
            let hash = self.hash(id)
            return (hash, find(id, hash: hash))
        }
        if let existing {
            valueStore[existing] = value
            return
        }
        if (count + 1) * 4 > hashes.count * 3 { grow() }
        place(hash, key, value)
        count += 1
    }

    /// Removes the value stored under `key` and returns it.
    @discardableResult
    mutating func removeValue(forKey key: String) -> Value? {
        var key = key
        return key.withUTF8 { removeValue(forID: UnsafeRawBufferPointer($0)) }
    }

    @discardableResult
    mutating func removeValue(forID id: UnsafeRawBufferPointer) -> Value? {
        guard !isEmpty, let found = find(id, hash: hash(id)) else { return nil }
        let value = valueStore[found]
        remove(at: found)
        return value
    }

    mutating func removeAll(keepingCapacity: Bool) {
        let size = keepingCapacity ? hashes.count : 16
        hashes = Array(repeating: 0, count: size)
        keyStore = Array(repeating: "", count: size)
        valueStore = Array(repeating: nil, count: size)
        mask = size - 1
        count = 0
    }

    // MARK: the table

    private func find(_ id: UnsafeRawBufferPointer, hash: UInt64) -> Int? {
        hashes.withUnsafeBufferPointer { hashes in
            keyStore.withUnsafeBufferPointer { keys in
                var index = Int(truncatingIfNeeded: hash) & mask
                while true {
                    let stored = hashes[index]
                    if stored == 0 { return nil }
                    if stored == hash, Self.equal(keys[index], id) { return index }
                    index = (index + 1) & mask
                }
            }
        }
    }

    private mutating func place(_ hash: UInt64, _ key: String, _ value: Value?) {
        var index = Int(truncatingIfNeeded: hash) & mask
        while hashes[index] != 0 { index = (index + 1) & mask }
        hashes[index] = hash
        keyStore[index] = key
        valueStore[index] = value
    }

    /// Backward-shift deletion: the entries after the hole that probed past it move back, so every lookup still
    /// reaches its entry before the first empty slot.
    private mutating func remove(at removed: Int) {
        var hole = removed
        var index = (removed + 1) & mask
        while hashes[index] != 0 {
            let home = Int(truncatingIfNeeded: hashes[index]) & mask
            // The entry may fill the hole unless its home lies cyclically in (hole, index].
            if (index - home) & mask >= (index - hole) & mask {
                hashes[hole] = hashes[index]
                keyStore[hole] = keyStore[index]
                valueStore[hole] = valueStore[index]
                hole = index
            }
            index = (index + 1) & mask
        }
        hashes[hole] = 0
        keyStore[hole] = ""
        valueStore[hole] = nil
        count -= 1
    }

    private mutating func grow() {
        let oldHashes = hashes, oldKeys = keyStore, oldValues = valueStore
        let size = oldHashes.count * 2
        hashes = Array(repeating: 0, count: size)
        keyStore = Array(repeating: "", count: size)
        valueStore = Array(repeating: nil, count: size)
        mask = size - 1
        for index in oldHashes.indices where oldHashes[index] != 0 { place(oldHashes[index], oldKeys[index], oldValues[index]) }
    }

    @inline(__always)
    private static func equal(_ key: borrowing String, _ id: UnsafeRawBufferPointer) -> Bool {
        key.utf8Equals(id)
    }

    private func hash(_ id: UnsafeRawBufferPointer) -> UInt64 {
        let hash = Self.hash(id, seed: seed)
        return hash == 0 ? 1 : hash
    }

    /// A multiply–xorshift hash over 8-byte words, seeded (the SipHash of a 31-byte id cost more than the rest of
    /// the lookup together).
    static func hash(_ id: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        var hash = seed ^ (UInt64(id.count) &* 0x9E37_79B9_7F4A_7C15)
        var offset = 0
        while offset + 8 <= id.count {
            let word = id.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            hash = (hash ^ word) &* 0xBF58_476D_1CE4_E5B9
            hash ^= hash >> 31
            offset += 8
        }
        if offset < id.count {
            // The last (partial) word: the final eight bytes, overlapping the words before, when there are eight.
            var word: UInt64 = 0
            if id.count >= 8 {
                word = id.loadUnaligned(fromByteOffset: id.count - 8, as: UInt64.self)
            } else {
                var index = id.count - 1
                while index >= offset {
                    word = word << 8 | UInt64(id[index])
                    index -= 1
                }
            }
            hash = (hash ^ word) &* 0xBF58_476D_1CE4_E5B9
            hash ^= hash >> 31
        }
        hash ^= hash >> 29
        hash &*= 0x94D0_49BB_1331_11EB
        hash ^= hash >> 32
        return hash
    }
}

extension String {
    /// Whether the string's UTF-8 is exactly `bytes`, compared eight bytes at a time without copying the string.
    @inline(__always)
    func utf8Equals(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let result = utf8.withContiguousStorageIfAvailable { stored -> Bool in
            guard stored.count == bytes.count else { return false }
            let mine = UnsafeRawBufferPointer(stored)
            var offset = 0
            while offset + 8 <= bytes.count {
                if mine.loadUnaligned(fromByteOffset: offset, as: UInt64.self) != bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self) { return false }
                offset += 8
            }
            while offset < bytes.count {
                if mine[offset] != bytes[offset] { return false }
                offset += 1
            }
            return true
        }
        // Native strings are contiguous; anything else is compared byte by byte.
        return result ?? utf8.elementsEqual(bytes)
    }
}
