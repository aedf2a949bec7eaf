// libFuzzer target for the after-hours webhook's bodies: the JSON reader with the JSON body's fields, and a raw
// RFC 5322 message. A plain `swift build` builds it as a do-nothing program; `Fuzz/run webhook` runs it (see README,
// "Fuzzing").
//
// Besides "never crash, never hang": a body that is read has a From address, and reading is the same whether the
// bytes come as JSON or with a byte order mark before them.
import AfterHours

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebhookBodies(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    let json = try? InboundMessage.parse(json: bytes)
    if let json { precondition(json.from.contains("@"), "a JSON body read without a From address") }
    if !bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
        precondition((try? InboundMessage.parse(json: [0xEF, 0xBB, 0xBF] + bytes)) == json, "a byte order mark changed the reading")
    }
    if let raw = try? InboundMessage.parse(rfc5322: bytes) { precondition(raw.from.contains("@"), "a raw message read without a From address") }
    return 0
}

#if CONNECTORD_FUZZ
import FuzzDriver

runLibFuzzer(fuzzWebhookBodies)
#endif
