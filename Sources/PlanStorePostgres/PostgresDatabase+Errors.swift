import PlanCore
import PostgresNIO
import _ConnectionPoolModule

/// A statement PostgreSQL refused for a reason that is not one of `StorageError`'s (a bug, or
/// a rule of the schema such as the append-only history). Carries the server's SQLSTATE.
public struct PostgresStoreError: Error, Equatable, CustomStringConvertible {
    /// The SQLSTATE code, e.g. `P0001`.
    public var sqlState: String
    /// The server's message.
    public var message: String

    /// The message, in Vietnamese.
    public var description: String { "PostgreSQL từ chối câu lệnh (SQLSTATE \(sqlState)): \(message)" }
}

/// Runs a storage call, turning PostgreSQL's failures into what a person can act on: a full
/// disk (53100), a read-only server or replica (25006), a server that cannot be reached or
/// refuses the login (`StorageError.unavailable`). Any other server refusal becomes a
/// `PostgresStoreError`; errors of other kinds (a completion check's own) pass unchanged.
/// `detail` adds context to a message, e.g. the address.
func mapStorageErrors<T>(_ body: () async throws -> T,
                         detail: (String) -> String = { $0 }) async throws -> T {
    do {
        return try await body()
    } catch let error as PSQLError {
        throw storageError(error, detail: detail)
    } catch is ConnectionPoolError {
        // The pool has failed to connect for a while; it keeps trying in the background.
        throw StorageError.unavailable(detail("PostgreSQL: máy chủ không trả lời, đang thử kết nối lại"))
    }
}

func storageError(_ error: PSQLError, detail: (String) -> String) -> any Error {
    guard error.code == .server, let state = error.serverInfo?[.sqlState] else {
        var text = "PostgreSQL: \(error.code)"
        if let underlying = error.underlying { text += " (\(underlying))" }
        return StorageError.unavailable(detail(text))
    }
    let message = error.serverInfo?[.message] ?? ""
    let text = detail("PostgreSQL \(state): \(message)")
    switch state {
    case "53100": return StorageError.full(text)
    case "25006": return StorageError.readOnly(text)
    // Connection exceptions, a server shutting down or starting, too many connections, a
    // refused login, a missing database.
    case _ where state.hasPrefix("08") || state.hasPrefix("28") || state.hasPrefix("57P"),
         "53300", "3D000":
        return StorageError.unavailable(text)
    default:
        return PostgresStoreError(sqlState: state, message: message)
    }
}
