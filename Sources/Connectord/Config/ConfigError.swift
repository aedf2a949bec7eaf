/// A configuration problem that stops start-up. The message names the key and where it came from; it never
/// contains the value of a secret.
struct ConnectordConfigError: Error, CustomStringConvertible, Sendable {
    let key: String
    let message: String
    var description: String { "configuration error: \(key): \(message)" }
}
