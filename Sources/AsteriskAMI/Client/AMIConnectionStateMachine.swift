import Crypto
import NIOCore

/// One AMI session as a state machine, without I/O: greeting → (challenge) → login → logged in (actions
/// matched to responses by ActionID, list responses collected) → closed. Each event is a `mutating func`
/// returning what the connection must do; the connection only performs those actions.
struct AMIConnectionStateMachine {
    enum State: Equatable {
        case awaitingGreeting
        case awaitingChallenge
        case awaitingLogin
        case loggedIn
        case closed
    }

    typealias Completion = AMIActionCompletion

    enum Action: Equatable {
        /// Write this action to the PBX.
        case write(AMIAction, actionID: String)
        /// Login succeeded; the session is usable.
        case loggedIn
        /// Hand an event to the consumer.
        case deliver(AMIMessage)
        /// An action is complete.
        case succeed(actionID: String, AMIResponse)
        case fail(actionID: String, AMIClientError)
        /// A message the decoder had to skip: the consumer hears of it in stream order.
        case skipped(AMIDecodingError)
        /// Close the connection for this reason.
        case close(AMIClientError)
    }

    private struct Pending {
        var name: String
        var completion: Completion
        var response: AMIMessage?
        var events: [AMIMessage] = []
    }

    private(set) var state: State = .awaitingGreeting
    private(set) var bannerVersion: String?
    private let configuration: AMIClientConfiguration
    private var pending: [String: Pending] = [:] {
        didSet { collecting = pending.values.reduce(0) { $0 + ($1.completion == .response ? 0 : 1) } }
    }
    /// Pending actions that collect events (lists, awaited events): while there are none, no event needs its
    /// ActionID read.
    private var collecting = 0
    private var nextActionNumber: UInt64 = 0
    /// ActionIDs are unique per connection and say which connection they were minted on, so a late answer
    /// to an action of a previous connection can never be taken for a new one.
    private let actionPrefix: String

    init(configuration: AMIClientConfiguration, connectionNumber: Int) {
        self.configuration = configuration
        self.actionPrefix = "c\(connectionNumber)-"
    }

    var inFlight: Int { pending.count }

    func isPending(_ actionID: String) -> Bool { pending[actionID] != nil }

    /// A list longer than this fails instead of growing without end (a server that never says `Complete`).
    static let maximumListEvents = 100_000

    // MARK: events

    mutating func greetingReceived(version: String) -> [Action] {
        guard state == .awaitingGreeting else { return [] }
        bannerVersion = version
        switch configuration.authentication {
        case .md5:
            state = .awaitingChallenge
            return [enqueue(AMIAction("Challenge", ["AuthType": "MD5"]), completion: .response)]
        case .plain:
            state = .awaitingLogin
            return [enqueue(AMIAction("Login", ["Username": configuration.username, "Secret": configuration.secret,
                                                 "Events": configuration.eventMask]), completion: .response)]
        }
    }

    /// The hot path: appends what a message asks for to `actions`. An event while no list or awaited event is
    /// pending is delivered without looking at its headers.
    mutating func messageReceived(_ message: AMIMessage, into actions: inout [Action]) {
        if state == .loggedIn, collecting == 0, case .event = message.kind {
            actions.append(.deliver(message))
            return
        }
        actions += messageReceived(message)
    }

    mutating func messageReceived(_ message: AMIMessage) -> [Action] {
        switch state {
        case .awaitingGreeting:
            return [.close(.unexpectedGreeting)]
        case .closed:
            return []
        case .awaitingChallenge, .awaitingLogin, .loggedIn:
            break
        }
        switch message.kind {
        case .response:
            return responseReceived(message)
        case .event(let name):
            return eventReceived(message, name: name)
        case .action, .other:
            return []
        }
    }

    /// The consumer wants to send an action. Only a logged-in session takes actions.
    mutating func send(_ action: AMIAction, completion: Completion) -> Action {
        guard state == .loggedIn else { return .fail(actionID: "", .notConnected) }
        return enqueue(action, completion: completion)
    }

    /// An action waited too long: it fails, and the session is not trusted any more.
    mutating func timedOut(actionID: String) -> [Action] {
        guard let action = pending.removeValue(forKey: actionID) else { return [] }
        return [.fail(actionID: actionID, .timedOut(action.name)), .close(.timedOut(action.name))]
    }

    /// The connection is gone: every action in flight fails (none is re-sent: an Originate must never
    /// ring a phone twice).
    mutating func connectionClosed() -> [Action] {
        state = .closed
        let failed = pending.keys.sorted().map { Action.fail(actionID: $0, .connectionClosed) }
        pending.removeAll()
        return failed
    }

    // MARK: internals

    private mutating func enqueue(_ action: AMIAction, completion: Completion) -> Action {
        nextActionNumber += 1
        let id = actionPrefix + String(nextActionNumber)
        pending[id] = Pending(name: action.name, completion: completion)
        return .write(action, actionID: id)
    }

    private mutating func responseReceived(_ message: AMIMessage) -> [Action] {
        guard let id = message["ActionID"], var action = pending[id] else { return [] }
        let success = AMIResponse(message: message).isSuccess
        switch state {
        case .awaitingChallenge:
            pending[id] = nil
            guard success, let challenge = message["Challenge"] else {
                state = .closed
                return [.close(.loginFailed(message["Message"] ?? "challenge refused"))]
            }
            state = .awaitingLogin
            let key = Insecure.MD5.hash(data: Array((challenge + configuration.secret).utf8))
                .map { String($0, radix: 16).leftPadded(to: 2) }.joined()
            return [enqueue(AMIAction("Login", ["AuthType": "MD5", "Username": configuration.username, "Key": key,
                                                 "Events": configuration.eventMask]), completion: .response)]
        case .awaitingLogin:
            pending[id] = nil
            guard success else {
                state = .closed
                return [.close(.loginFailed(message["Message"] ?? "authentication failed"))]
            }
            state = .loggedIn
            return [.loggedIn]
        default:
            break
        }
        guard success else {
            pending[id] = nil
            return [.fail(actionID: id, .actionFailed(action.name, message["Message"] ?? "error"))]
        }
        switch action.completion {
        case .response:
            pending[id] = nil
            return [.succeed(actionID: id, AMIResponse(message: message))]
        case .list where message["EventList"]?.lowercased() != "start" && !Self.announcesOldStyleList(message):
            // A list action that had nothing to list answers with a plain Success.
            pending[id] = nil
            return [.succeed(actionID: id, AMIResponse(message: message))]
        case .list, .event:
            action.response = message
            pending[id] = action
            return []
        }
    }

    /// Asterisk 1.8–11 announce a list without `EventList`: `Message: Queue status will follow`.
    static func announcesOldStyleList(_ message: AMIMessage) -> Bool {
        message["EventList"] == nil && (message["Message"]?.lowercased().hasSuffix("will follow") ?? false)
    }

    private mutating func eventReceived(_ message: AMIMessage, name: String) -> [Action] {
        guard let id = message["ActionID"], var action = pending[id], let response = action.response else {
            return state == .loggedIn ? [.deliver(message)] : []
        }
        switch action.completion {
        case .list:
            // Asterisk 12+ ends a list with `EventList: Complete`; 1.8–11 only with a `…Complete` event.
            if message["EventList"]?.lowercased() == "complete" || (response["EventList"] == nil && name.hasSuffix("Complete")) {
                pending[id] = nil
                return [.succeed(actionID: id, AMIResponse(message: response, events: action.events))]
            }
            guard action.events.count < Self.maximumListEvents else {
                pending[id] = nil
                return [.fail(actionID: id, .actionFailed(action.name, "more than \(Self.maximumListEvents) list events without Complete"))]
            }
            action.events.append(message)
            pending[id] = action
            return []
        case .event(let awaited) where awaited.lowercased() == name.lowercased():
            pending[id] = nil
            // The consumer sees the event too: it is part of the stream (a tracker may want it).
            return [.succeed(actionID: id, AMIResponse(message: response, events: [message])), .deliver(message)]
        default:
            return [.deliver(message)]
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// What an action waits for before it is complete.
public enum AMIActionCompletion: Sendable, Hashable {
    /// The `Response` message.
    case response
    /// The `Response`, then events up to `EventList: Complete` (`CoreShowChannels`, `QueueStatus`).
    case list
    /// The `Response`, then the event of that name carrying the same ActionID (`OriginateResponse`).
    case event(String)
}
