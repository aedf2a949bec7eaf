import Foundation

/// Where a secret lives: `env:NAME` (an environment variable) or `file:/path` (a file, trailing newline trimmed).
/// A secret is never written into the configuration itself; a value of any other form is refused.
struct SecretReference: Sendable, Hashable, CustomStringConvertible {
    enum Source: Sendable, Hashable { case environment(String), file(String) }
    let source: Source

    init(parsing text: String, key: String) throws {
        if text.hasPrefix("env:"), text.count > 4 {
            source = .environment(String(text.dropFirst(4)))
        } else if text.hasPrefix("file:"), text.count > 5 {
            source = .file(String(text.dropFirst(5)))
        } else {
            // Do not echo the value: it may be the secret itself, pasted in by mistake.
            throw ConnectordConfigError(key: key, message: "must reference a secret as env:VARIABLE or file:/path; secrets are never written into the configuration")
        }
    }

    /// Reads the secret now. Errors name the variable or file, never the content.
    func resolve(key: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        switch source {
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else {
                throw ConnectordConfigError(key: key, message: "environment variable \(name) is not set")
            }
            return value
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw ConnectordConfigError(key: key, message: "cannot read secret file \(path)")
            }
            let value = text.trimmingCharacters(in: .newlines)
            guard !value.isEmpty else { throw ConnectordConfigError(key: key, message: "secret file \(path) is empty") }
            return value
        }
    }

    var description: String {
        switch source {
        case .environment(let name): "env:\(name)"
        case .file(let path): "file:\(path)"
        }
    }
}
