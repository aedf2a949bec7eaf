import Foundation
import AsteriskAMI

/// The `ami` section: which PBX to capture calls from and how to reach it. Present only when `ami.host` is set.
struct PBXSettings: Sendable {
    var host: String
    var port: Int
    var username: String
    /// Resolved when the daemon starts, never stored in the configuration.
    var secret: SecretReference
    var authentication: AMIClientConfiguration.Authentication
    /// Part of every call's source key (`pbx:<pbxId>:<call id>`): two PBXs never collide, one PBX never doubles.
    var pbxId: String
    /// Extensions from the configuration; the daemon adds its users' extensions.
    var extensions: Set<String>
    /// `SIP/150010001` → `201`.
    var devices: [String: String]
    /// The agent's phone for click-to-dial, `{extension}` replaced: `PJSIP/{extension}`.
    var dialChannel: String
    var dialContext: String
    /// What the customer sees when we call; empty leaves it to the dialplan.
    var callerId: String

    /// `SIP/150010001=201` entries, as `ami.devices` lists them.
    static func parseDevices(_ entries: [String]) throws -> [String: String] {
        var devices: [String: String] = [:]
        for entry in entries {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0].contains("/"), !parts[1].isEmpty else {
                throw ConnectordConfigError(key: "ami.devices", message: "'\(entry)' is not DEVICE=EXTENSION (for example SIP/150010001=201)")
            }
            devices[parts[0]] = parts[1]
        }
        return devices
    }

    func channel(forExtension agentExtension: String) -> String {
        dialChannel.replacingOccurrences(of: "{extension}", with: agentExtension)
    }
}
