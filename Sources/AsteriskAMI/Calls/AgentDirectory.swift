/// Which channels belong to the team's phones, so a call can be told inbound, outbound or internal.
///
/// An agent is known by an extension (`201`). Their phones are recognised by device (`PJSIP/201`, or a
/// device named otherwise such as `SIP/150010001`, mapped to its extension) and, when they call out, by
/// the caller ID their phone presents (the extension itself).
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
    public func agent(of channel: ChannelSnapshot, calling: Bool) -> String? {
        if channel.name.hasPrefix("Local/") { return nil }
        let device = channel.device
        if let mapped = devices[String(device)] { return mapped }
        // `PJSIP/201-0000001a`: the device is named after the extension.
        if let slash = device.firstIndex(of: "/") {
            let resource = String(device[device.index(after: slash)...])
            if extensions.contains(resource) { return resource }
        }
        // A phone placing a call presents its extension as caller ID.
        if calling, extensions.contains(channel.callerIDNum) { return channel.callerIDNum }
        return nil
    }
}
