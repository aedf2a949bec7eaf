import Foundation

/// The recorded AMI corpus (`Fixtures/`, copied from the shared corpus with its licences).
public enum AMICorpus {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The bytes of one recording, `cacofonisk/replay/simple/xxx.ami` style path under `Fixtures/`.
    public static func bytes(_ path: String) -> [UInt8] {
        [UInt8](FileManager.default.contents(atPath: root.appendingPathComponent(path).path) ?? Data())
    }
}
