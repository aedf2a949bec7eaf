#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// A load at a fixed rate, as a mail provider sends it: request *i* is due at `start + i / rate` whether or not the
/// earlier ones were answered, and its latency runs from that moment (so a stall counts for every request it held
/// back, not just the one that met it). A closed loop of N clients measures how fast the server can go; this
/// measures what a client sees at a given rate, which is what "5,000 requests/s with a p99 under 10 ms" asks.
///
/// Plain blocking sockets on threads (one keep-alive connection each) and pre-encoded requests: a few microseconds of
/// CPU per request, where an HTTP client library took a third of the machine away from the server it measured.
public enum OpenLoopLoad {
    public struct Result: Sendable {
        /// Every request's latency, sorted.
        public var latencies: [Duration]
        /// From the first request's due time to the last answer.
        public var elapsed: Duration
        /// Answers other than the expected status, and connection failures.
        public var errors: Int

        public func percentile(_ p: Double) -> Duration { latencies.isEmpty ? .zero : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        public var requestsPerSecond: Double { Double(latencies.count) / elapsed.seconds }

        /// Several runs as one: every request of each, their times added.
        public static func merged(_ runs: [Result]) -> Result {
            Result(latencies: runs.flatMap(\.latencies).sorted(), elapsed: runs.reduce(.zero) { $0 + $1.elapsed },
                   errors: runs.reduce(0) { $0 + $1.errors })
        }
    }

    /// An HTTP/1.1 request, ready to write.
    public static func encode(path: String, headers: [(String, String)], body: [UInt8]) -> [UInt8] {
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        return Array(head.utf8) + body
    }

    /// Sends `requests` (one each, in order) to 127.0.0.1:`port` at `rate` per second over `connections` keep-alive
    /// connections, from two threads that each poll half of them (as wrk does: a thread per connection made the
    /// scheduler, not the server, the largest source of latency). A request due while all of its thread's connections
    /// wait for answers goes out on the first one free; its latency still counts from its due time.
    ///
    /// The load runs on threads of its own and this waits without holding a thread of Swift's cooperative pool, which
    /// the server under test needs (blocking one of the two it has on this machine hung the benchmark).
    public static func run(port: Int, rate: Double, connections: Int, requests: [[UInt8]], expectedStatus: Int) async -> Result {
        await withCheckedContinuation { continuation in
            Thread {
                continuation.resume(returning: runBlocking(port: port, rate: rate, connections: connections, requests: requests,
                                                           expectedStatus: expectedStatus))
            }.start()
        }
    }

    private static func runBlocking(port: Int, rate: Double, connections: Int, requests: [[UInt8]], expectedStatus: Int) -> Result {
        let threads = 2
        let collected = Mutex<(latencies: [Duration], errors: Int)>(([], 0))
        let start = ContinuousClock.now + .milliseconds(50)
        let finished = DispatchGroup()
        for thread in 0..<threads {
            finished.enter()
            Thread {
                defer { finished.leave() }
                let indices = Array(stride(from: thread, to: requests.count, by: threads))
                let outcome = drive(port: port, connections: max(1, connections / threads), requests: requests, indices: indices,
                                    due: { start + .seconds(Double($0) / rate) }, expectedStatus: expectedStatus)
                collected.withLock { $0.latencies += outcome.latencies; $0.errors += outcome.errors }
            }.start()
        }
        finished.wait()
        let end = ContinuousClock.now
        return collected.withLock { Result(latencies: $0.latencies.sorted(), elapsed: end - start, errors: $0.errors) }
    }

    /// glibc's `ppoll` (poll with a nanosecond timeout), which the Glibc module does not export (`_GNU_SOURCE`).
    private static let ppoll = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "ppoll")!,
        to: (@convention(c) (UnsafeMutablePointer<pollfd>?, nfds_t, UnsafePointer<timespec>?, UnsafeRawPointer?) -> Int32).self)

    private static func drive(port: Int, connections: Int, requests: [[UInt8]], indices: [Int], due: (Int) -> ContinuousClock.Instant,
                              expectedStatus: Int) -> (latencies: [Duration], errors: Int) {
        var sockets = (0..<connections).compactMap { _ in Socket(port: port) }
        var inFlight: [ContinuousClock.Instant?] = Array(repeating: nil, count: sockets.count)
        var latencies: [Duration] = []
        latencies.reserveCapacity(indices.count)
        var errors = 0
        var next = 0
        var answered = 0
        var progress = ContinuousClock.now
        while answered + errors < indices.count, !sockets.isEmpty {
            let now = ContinuousClock.now
            // A server that stops answering fails the run instead of hanging it.
            if now - progress > .seconds(10) {
                errors = indices.count - answered
                break
            }
            // Send what is due on the free connections.
            while next < indices.count, due(indices[next]) <= now, let free = inFlight.firstIndex(where: { $0 == nil }) {
                if sockets[free].send(requests[indices[next]]) {
                    inFlight[free] = due(indices[next])
                } else {
                    errors += 1
                }
                next += 1
            }
            // Wake at the next request's due time to the microsecond: poll's timeout is whole milliseconds, and sent
            // requests up to 1 ms late, which counted as the server's latency.
            var waitFor = timespec(tv_sec: 1, tv_nsec: 0)
            if next < indices.count, inFlight.contains(where: { $0 == nil }) {
                let until = max(.zero, due(indices[next]) - ContinuousClock.now)
                waitFor = timespec(tv_sec: Int(until.components.seconds), tv_nsec: Int(until.components.attoseconds / 1_000_000_000))
            }
            var descriptors = sockets.indices.map { pollfd(fd: sockets[$0].fd, events: inFlight[$0] == nil ? 0 : Int16(POLLIN), revents: 0) }
            let ready = Self.ppoll(&descriptors, nfds_t(descriptors.count), &waitFor, nil)
            guard ready > 0 else { continue }
            for index in descriptors.indices where descriptors[index].revents != 0 {
                guard let sent = inFlight[index] else { continue }
                switch sockets[index].receive() {
                case .incomplete: continue
                case .failed:
                    errors += 1
                    inFlight[index] = nil
                    if let fresh = Socket(port: port) { sockets[index] = fresh }
                case .complete(let status):
                    progress = ContinuousClock.now
                    latencies.append(progress - sent)
                    if let late = LateMarker.threshold, progress - sent > late { LateMarker.write(progress - sent) }
                    if status != expectedStatus { errors += 1 }
                    answered += 1
                    inFlight[index] = nil
                }
            }
        }
        return (latencies, errors)
    }

    /// One keep-alive connection: writes a request, then reads its response (status line, headers, Content-Length body)
    /// as it arrives.
    final class Socket {
        enum Reading { case incomplete, failed, complete(status: Int) }
        let fd: Int32
        private var buffer = [UInt8](repeating: 0, count: 1 << 16)
        private var received = 0

        init?(port: Int) {
            fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return nil }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            // A failed initializer still runs deinit (all stored properties are set), which closes the descriptor.
            guard connected == 0 else { return nil }
        }

        deinit { if fd >= 0 { close(fd) } }

        func send(_ request: [UInt8]) -> Bool {
            received = 0
            var sent = 0
            while sent < request.count {
                let n = request.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, request.count - sent, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { return false }
                sent += n
            }
            return true
        }

        func receive() -> Reading {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + received, $0.count - received, 0) }
            guard n > 0 else { return .failed }
            received += n
            guard let headerEnd = Self.headerEnd(in: buffer, upTo: received) else { return .incomplete }
            // On the bytes: splitting the head as a String cost the load ~8 µs a request, CPU the server needs.
            guard received >= headerEnd + 4 + Self.contentLength(in: buffer, upTo: headerEnd) else { return .incomplete }
            return .complete(status: Self.status(in: buffer))
        }

        /// The status code of `HTTP/1.1 NNN …`.
        static func status(in bytes: [UInt8]) -> Int {
            guard bytes.count >= 12, bytes[8] == UInt8(ascii: " ") else { return 0 }
            var code = 0
            for byte in bytes[9..<12] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return 0 }
                code = code * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return code
        }

        /// The value of the Content-Length line in the head (name in any case), 0 without one.
        static func contentLength(in bytes: [UInt8], upTo end: Int) -> Int {
            let name = Array("content-length:".utf8)
            var line = 0
            while line < end {
                var next = line
                while next < end, bytes[next] != 13 { next += 1 }
                if next - line > name.count, zip(bytes[line..<(line + name.count)], name).allSatisfy({ $0 | 0x20 == $1 }) {
                    var length = 0
                    for byte in bytes[(line + name.count)..<next] where byte != UInt8(ascii: " ") {
                        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return 0 }
                        length = length * 10 + Int(byte - UInt8(ascii: "0"))
                    }
                    return length
                }
                line = next + 2
            }
            return 0
        }

        static func headerEnd(in bytes: [UInt8], upTo end: Int) -> Int? {
            guard end >= 4 else { return nil }
            for i in 0...(end - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 { return i }
            return nil
        }
    }
}

/// `TRACE_LATE_MS=N` (investigations only, as root): every answer more than N ms after its due time writes a line to
/// the kernel tracer's marker file, so that each stall can be found in a trace of the scheduler
/// (`Benchmarks/ResponderProfile/trace-stalls`).
enum LateMarker {
    static let threshold = ProcessInfo.processInfo.environment["TRACE_LATE_MS"].flatMap(Double.init).map { Duration.milliseconds($0) }
    private static let file = open("/sys/kernel/tracing/trace_marker", O_WRONLY)

    static func write(_ latency: Duration) {
        guard file >= 0 else { return }
        var line = "late request: \(latency.seconds) s"
        line.withUTF8 { _ = Glibc.write(file, $0.baseAddress, $0.count) }
    }
}
