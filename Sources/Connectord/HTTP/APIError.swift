import CRMCore
import Hummingbird

extension CRMError {
    /// The HTTP status that tells a client what went wrong.
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .invalidInput, .unknownPlaceholder: .badRequest
        case .conflict, .duplicateSuspected, .transitionNotAllowed: .conflict
        }
    }
}

/// Runs an API handler, turning the core's errors into HTTP errors with their message.
func mapCRMErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as CRMError {
        throw HTTPError(error.httpStatus, message: error.description)
    }
}
