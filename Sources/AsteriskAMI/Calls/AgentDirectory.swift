/// Which channels belong to the team's phones, so a call can be told inbound, outbound or internal.
///
/// An agent is known by an extension (`201`). Their phones are recognised by device only: `PJSIP/201`, or a
/// device named otherwise such as `SIP/150010001`, mapped to its extension. Never by caller ID: a customer
/// calling in through a trunk can present any number, `201` included, and must not become an agent.
public struct AgentDirectory: Sendable, Hashable {
    /// Extensions of the agents (`201`, `202`).
    public var extensions: Set<String>
    /// Devices whose name is not their extension: `SIP/150010001` → `201`.
    public var devices: [String: String]

    public init(extensions: Set<String> = [], devices: [String: String] = [:]) {
        self.extensions = extensions.union(devices.values)
        self.devices = devices
    }

    /// The agent extension a channel belongs to, or nil for a trunk, a customer or a Local channel.
    public func agent(of channel: ChannelSnapshot) -> String? {
        agent(ofChannel: channel.name)
    }

    /// The agent extension of a channel name (`PJSIP/201-0000001a`), as CDRs and events spell it.
    public func agent(ofChannel name: String) -> String? {
        if name.isEmpty || name.hasPrefix("Local/") { return nil }
        let device = Self.device(ofChannel: name)
        if let mapped = devices[String(device)] { return mapped }
        // `PJSIP/201-0000001a`: the device is named after the extension.
        if let slash = device.firstIndex(of: "/") {
            let resource = String(device[device.index(after: slash)...])
            if extensions.contains(resource) { return resource }
        }
        return nil
    }

    /// The device of a channel name: `SIP/150010001` of `SIP/150010001-0000002c`, `PJSIP/201` of
    /// `PJSIP/201-00000a1b`, `SIP/voipgrid-siproute-docker` of `SIP/voipgrid-siproute-docker-00000009`.
    /// Asterisk appends `-` and a sequence of at least 8 hex digits to the device (then `;1`/`;2` for Local
    /// halves); a resource may contain dashes itself, and anything after the sequence (a tag some tools add) is
    /// not part of the device.
    public static func device(ofChannel name: String) -> Substring {
        let bytes = name.utf8
        guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")) else { return name[...] }
        var index = bytes.index(after: slash)
        // The resource's first part is never the sequence (`PJSIP/deadbeef-00000001`).
        while index < bytes.endIndex, bytes[index] != UInt8(ascii: "-") { index = bytes.index(after: index) }
        while index < bytes.endIndex {
            // `index` is at a dash: does a sequence of 8+ hex digits follow, up to the end or the next dash?
            var end = bytes.index(after: index)
            var digits = 0
            while end < bytes.endIndex, Self.isHexDigit(bytes[end]) {
                digits += 1
                end = bytes.index(after: end)
            }
            if digits >= 8, end == bytes.endIndex || bytes[end] == UInt8(ascii: "-") || bytes[end] == UInt8(ascii: ";") {
                return name[..<index]
            }
            index = bytes.index(after: index)
            while index < bytes.endIndex, bytes[index] != UInt8(ascii: "-") { index = bytes.index(after: index) }
        }
        // Drivers with a short counter (`DAHDI/1-1`): the last dash before hex digits only.
        if let dash = bytes.lastIndex(of: UInt8(ascii: "-")), dash > slash, bytes.index(after: dash) < bytes.endIndex,
           bytes[bytes.index(after: dash)...].allSatisfy(Self.isHexDigit) {
            return name[..<dash]
        }
        return name[...]
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x66)
    }
}
