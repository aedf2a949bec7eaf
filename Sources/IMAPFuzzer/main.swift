// libFuzzer target for the IMAP response decoder, the RFC 2047 / address-list decoding and the body snippet. A plain `swift build`
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
    // The snippet from a header and a body cut anywhere (the input's first byte chooses where), and from the input as
    // the body of a multipart and of a quoted-printable and a base64 text: never longer than its limit.
    let split = count > 1 ? Int(bytes[0]) % count : 0
    for (header, body) in [(Array(bytes[..<split]), Array(bytes[split...])),
                           (Array("Content-Type: multipart/mixed; boundary=b\r\n\r\n".utf8), bytes),
                           (Array("Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n".utf8), bytes),
                           (Array("Content-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: base64\r\n\r\n".utf8), bytes)] {
        if let snippet = MessageSnippet.extract(header: MessageHeader(header), body: body) {
            precondition(!snippet.isEmpty && snippet.unicodeScalars.count <= MessageSnippet.maximumLength + 1, "snippet too long")
        }
    }
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

#if CONNECTORD_FUZZ
import FuzzDriver

runLibFuzzer(fuzzIMAPDecoder)
#endif
