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
        let device = name.lastIndex(of: "-").map { name[..<$0] } ?? name[...]
        if let mapped = devices[String(device)] { return mapped }
        // `PJSIP/201-0000001a`: the device is named after the extension.
        if let slash = device.firstIndex(of: "/") {
            let resource = String(device[device.index(after: slash)...])
            if extensions.contains(resource) { return resource }
        }
        return nil
    }
}
