/// The OAuth client the daemon is registered as, and where tokens come from.
public struct OAuthClientCredentials: Sendable {
    public var clientId: String
    public var clientSecret: String
    /// Default `https://oauth2.googleapis.com/token`.
    public var tokenEndpoint: String

    public init(clientId: String, clientSecret: String, tokenEndpoint: String = "https://oauth2.googleapis.com/token") {
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.tokenEndpoint = tokenEndpoint
    }
}

/// Form encoding (`application/x-www-form-urlencoded`) of the token request.
enum FormEncoding {
    static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    /// Everything but the unreserved characters of RFC 3986 is percent-encoded.
    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(Unicode.Scalar(hex[Int(byte >> 4)])) + String(Unicode.Scalar(hex[Int(byte & 15)]))
            }
        }
        return out
    }
}
