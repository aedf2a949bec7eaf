@testable import AsteriskAMI
import Testing

/// The channel table against a `Dictionary` doing the same: ids that hash to neighbouring slots, removals in the
/// middle of probe runs (where backward-shift deletion can go wrong), growth, and lookups from raw bytes.
@Suite struct IdentifierTableTests {
    final class Item {
        let id: String
        init(_ id: String) { self.id = id }
    }

    @Test func agreesWithADictionaryThroughInsertsRemovalsAndGrowth() {
        var table = IdentifierTable<Item>(capacity: 4)
        var reference: [String: Item] = [:]
        var generator = SplitMix(seed: 7)
        // A small id space, so ids come back after removal and probe runs form and break up.
        let ids = (0..<300).map { "pbx-1530020288.\($0)-i\($0 % 7)" }
        for step in 0..<20_000 {
            let id = ids[Int(generator.next() % UInt64(ids.count))]
            switch generator.next() % 3 {
            case 0, 1:
                let item = Item(id)
                table[id] = item
                reference[id] = item
            default:
                table.removeValue(forKey: id)
                reference[id] = nil
            }
            if step % 97 == 0 {
                #expect(table.count == reference.count)
                for candidate in ids {
                    var bytes = candidate
                    let found = bytes.withUTF8 { table[id: UnsafeRawBufferPointer($0)] }
                    #expect(found === reference[candidate], "\(candidate) after step \(step)")
                }
            }
        }
        #expect(Set(table.keys) == Set(reference.keys))
        #expect(table.values.count == reference.count)
    }

    @Test func idsOfEveryLengthAndEmptyOnesAreKeptApart() {
        var table = IdentifierTable<Item>()
        let ids = [""] + (1...40).map { String(repeating: "a", count: $0) } + (1...40).map { String(repeating: "a", count: $0 - 1) + "b" }
        for id in ids { table[id] = Item(id) }
        #expect(table.count == ids.count)
        for id in ids { #expect(table[id]?.id == id) }
        table.removeValue(forKey: "aaaaaaaa")
        #expect(table["aaaaaaaa"] == nil && table["aaaaaaab"]?.id == "aaaaaaab" && table["aaaaaaaaa"]?.id == "aaaaaaaaa")
        table.removeAll(keepingCapacity: true)
        #expect(table.isEmpty && table[""] == nil)
    }
}

/// A small deterministic generator, so a failure repeats.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
