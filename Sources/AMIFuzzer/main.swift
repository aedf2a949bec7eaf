// libFuzzer target for the AMI decoder. A plain `swift build` builds it as a do-nothing program; built with
// `--sanitize=fuzzer --sanitize=address` libFuzzer calls `LLVMFuzzerTestOneInput` (see README, "Fuzzing").
//
// Besides "never crash, never hang", it checks a property: the frames do not depend on how the bytes are
// split across reads (whole vs. cut at a point chosen by the input itself). The messages then go through the call
// tracker, which must survive any sequence of events (loops of dials, unknown ids, bridges destroyed twice) and
// finish every call once the PBX says no channel is left. (Two calls may get the same id when a stream reuses a
// Uniqueid, which Asterisk never does: capture then keeps the first, as it does for a call replayed after a
// reconnect. The fuzzer found that; it is not checked.)
import AsteriskAMI
import struct Foundation.Date
import NIOCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAMIDecoder(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: start, count: count)
    let limits = AMIDecoderLimits(maxMessageBytes: 4096, maxFields: 64)
    let whole = decode([Array(bytes)], limits: limits)
    // Every frame consumes at least one byte: more frames than bytes would mean a frame made from nothing.
    precondition(whole.count <= count, "more frames than input bytes")
    if count > 1 {
        let cut = Int(bytes[0]) % count
        let split = decode([Array(bytes[..<cut]), Array(bytes[cut...])], limits: limits)
        precondition(split == whole, "frames depend on the read boundaries")
    }
    var tracker = CallTracker(directory: AgentDirectory(extensions: ["201", "202"], devices: ["SIP/201": "201"]))
    var calls: [CallRecord] = []
    let now = Date(timeIntervalSince1970: 1_530_020_288)
    for case .message(let message) in whole { tracker.receive(message, at: now, finished: &calls) }
    calls += tracker.reconcile(activeChannels: [], at: now)
    precondition(tracker.callsInProgress == 0, "calls left in progress after every channel is gone")
    return 0
}

private func decode(_ chunks: [[UInt8]], limits: AMIDecoderLimits) -> [AMIFrame] {
    var decoder = AMIDecoder(limits: limits)
    var buffer = ByteBuffer()
    var frames: [AMIFrame] = []
    for chunk in chunks {
        buffer.writeBytes(chunk)
        // A decoder that stopped making progress would loop here; libFuzzer reports it as a timeout.
        while let frame = try? decoder.decode(buffer: &buffer) { frames.append(frame) }
    }
    while let frame = try? decoder.decodeLast(buffer: &buffer, seenEOF: true) { frames.append(frame) }
    return frames
}

#if CONNECTORD_FUZZ
import FuzzDriver

runLibFuzzer(fuzzAMIDecoder)
#endif
