import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Options of the commands that ask the running daemon (click-to-dial, status) over its HTTP API.
struct DaemonOptions: ParsableArguments {
    @Option(name: .long, help: "The daemon's URL (default: http://<http.host>:<http.port> of the configuration).")
    var daemon: String?

    @Option(name: .long, help: "API bearer token (default: $CONNECTORD_TOKEN; create one with 'connectord users token-create').")
    var token: String?
}

/// A small client of the daemon's authenticated API. Errors say what the daemon said; the token never appears.
struct DaemonClient {
    let baseURL: String
    let token: String

    init(_ options: DaemonOptions, configuration: ConnectordConfiguration) throws {
        guard let token = options.token ?? ProcessInfo.processInfo.environment["CONNECTORD_TOKEN"], !token.isEmpty else {
            throw DaemonClientError(message: "an API token is needed: --token or CONNECTORD_TOKEN ('connectord users token-create' makes one)")
        }
        self.token = token
        let host = configuration.httpHost == "0.0.0.0" ? "127.0.0.1" : configuration.httpHost
        var base = options.daemon ?? "http://\(host):\(configuration.httpPort)"
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
    }

    func get(_ path: String) async throws -> (status: Int, body: Data) { try await send(.GET, path) }
    func post(_ path: String, json body: some Encodable) async throws -> (status: Int, body: Data) { try await send(.POST, path, json: body) }

    /// Sends a request and returns the status and body. `timeout` covers the whole exchange.
    func send(_ method: HTTPMethod, _ path: String, json body: (any Encodable)? = nil, timeout: TimeAmount = .seconds(60)) async throws -> (status: Int, body: Data) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: 16 << 20)
            return (Int(response.status.code), Data(bytes.readableBytesView))
        } catch {
            throw DaemonClientError(message: "cannot reach the daemon at \(baseURL): \(error) (is 'connectord run' running?)")
        }
    }

    /// Decodes a 2xx answer, or throws the daemon's own message.
    func decode<T: Decodable>(_ type: T.Type, from answer: (status: Int, body: Data)) throws -> T {
        guard (200..<300).contains(answer.status) else {
            let message = (try? JSONDecoder().decode(ErrorBody.self, from: answer.body))?.error.message
                ?? String(decoding: answer.body, as: UTF8.self)
            throw DaemonClientError(message: "the daemon answered \(answer.status): \(message)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: answer.body)
        } catch {
            throw DaemonClientError(message: "the daemon at \(baseURL) answered something this connectord does not understand (another version?): \(error)")
        }
    }

    /// Hummingbird's error body: `{"error":{"message":"…"}}`.
    private struct ErrorBody: Decodable {
        struct Inner: Decodable { var message: String }
        var error: Inner
    }
}

struct DaemonClientError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
