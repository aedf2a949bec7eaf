// libFuzzer target for the IMAP response decoder and the RFC 2047 / address-list decoding. A plain `swift build`
// builds it as a do-nothing program; built with `--sanitize=fuzzer --sanitize=address` libFuzzer calls
// `LLVMFuzzerTestOneInput` (see README, "Fuzzing").
//
// Besides "never crash, never hang": the frames do not depend on how the bytes are split across reads (whole vs.
// cut at a point chosen by the input itself), and header decoding of any bytes returns.
import MailSync
import NIOCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIMAPDecoder(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    let limits = IMAPDecoderLimits(maxLineBytes: 2048, maxLiteralBytes: 64, maxResponseBytes: 8192)
    let whole = decode([bytes], limits: limits)
    precondition(whole.count <= count, "more frames than input bytes")
    if count > 1 {
        let cut = Int(bytes[0]) % count
        precondition(decode([Array(bytes[..<cut]), Array(bytes[cut...])], limits: limits) == whole, "frames depend on the read boundaries")
    }
    _ = EncodedWords.decode(bytes)
    _ = MailAddress.parseList(String(decoding: bytes, as: UTF8.self))
    return 0
}

private func decode(_ chunks: [[UInt8]], limits: IMAPDecoderLimits) -> [IMAPFrame] {
    var decoder = IMAPResponseDecoder(limits: limits)
    var buffer = ByteBuffer()
    var frames: [IMAPFrame] = []
    for chunk in chunks {
        buffer.writeBytes(chunk)
        while let frame = try? decoder.decode(buffer: &buffer) { frames.append(frame) }
    }
    return frames
}
