import Foundation
import MailSync
import NIOCore

// `perf record` target: decodes a recorded `UID FETCH` response stream (argument 1, a file of raw server bytes)
// into SyncedMessages, as the sync engine does, `argument 2` times. Record one with Tools in the README.
let arguments = CommandLine.arguments
guard arguments.count >= 2, let data = FileManager.default.contents(atPath: arguments[1]) else {
    print("usage: MailProfile FETCH-STREAM [ROUNDS]")
    exit(2)
}
let rounds = arguments.count > 2 ? Int(arguments[2]) ?? 10 : 10
let bytes = [UInt8](data)
var messages = 0
let start = ContinuousClock.now
for _ in 0..<rounds {
    var decoder = IMAPResponseDecoder()
    var offset = 0
    var buffer = ByteBuffer()
    while offset < bytes.count {
        let size = min(16_384, bytes.count - offset)
        buffer.writeBytes(bytes[offset..<offset + size])
        offset += size
        while let frame = try decoder.decode(buffer: &buffer) {
            if case .response(.untagged(.fetch(_, let attributes))) = frame, SyncedMessage(folder: "INBOX", attributes: attributes) != nil {
                messages += 1
            }
        }
        buffer.discardReadBytes()
    }
}
let elapsed = ContinuousClock.now - start
print("\(messages) messages in \(elapsed): \(Double(messages) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)) / s")
