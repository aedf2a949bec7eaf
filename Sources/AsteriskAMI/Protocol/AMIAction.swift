import NIOCore

/// An action to send to Asterisk: `Action: <name>`, an `ActionID`, then the headers in order.
public struct AMIAction: Sendable, Hashable {
    public var name: String
    public var headers: [AMIMessage.Header]

    public init(_ name: String, headers: [AMIMessage.Header] = []) {
        self.name = name
        self.headers = headers
    }

    public init(_ name: String, _ headers: KeyValuePairs<String, String>) {
        self.init(name, headers: headers.map { AMIMessage.Header($0.key, $0.value) })
    }

    /// Writes the action with `actionID`. Refuses a name or value with CR or LF: a dialled number or caller
    /// name carrying "\r\n" would otherwise inject a whole action (say `Action: Command`) into the session.
    public func write(actionID: String, into buffer: inout ByteBuffer) throws(AMIEncodingError) {
        try validate()
        try Self.check("ActionID", actionID)
        buffer.writeStaticString("Action: ")
        buffer.writeString(name)
        buffer.writeStaticString("\r\nActionID: ")
        buffer.writeString(actionID)
        buffer.writeStaticString("\r\n")
        for header in headers {
            buffer.writeString(header.name)
            buffer.writeStaticString(": ")
            buffer.writeString(header.value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
    }

    /// Refuses what cannot go on the wire: a line break anywhere (it would start another action), an empty
    /// header name or one with a colon.
    public func validate() throws(AMIEncodingError) {
        try Self.check("Action", name)
        for header in headers {
            try Self.check(header.name, header.value)
            if header.name.isEmpty || header.name.utf8.contains(UInt8(ascii: ":")) { throw .invalidHeaderName }
        }
    }

    private static func check(_ name: String, _ value: String) throws(AMIEncodingError) {
        if name.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) || value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) {
            throw .lineBreakInHeader(name: String(name.prefix(40)))
        }
    }
}

/// Why an action could not be written.
public enum AMIEncodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A header (named) contains CR or LF; its value is not repeated here (it may hold a secret).
    case lineBreakInHeader(name: String)
    case invalidHeaderName

    public var description: String {
        switch self {
        case .lineBreakInHeader(let name): "AMI header \(name) contains a line break; refused (it would inject another action)"
        case .invalidHeaderName: "AMI header names must be non-empty and without ':'"
        }
    }
}
