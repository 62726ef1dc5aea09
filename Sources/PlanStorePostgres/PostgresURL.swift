import Foundation
import Logging
import PostgresNIO

/// A PostgreSQL address that cannot be used, naming the part that is wrong. Messages are
/// Vietnamese; a password is never repeated.
public struct PostgresURLError: Error, Equatable, CustomStringConvertible {
    /// The part that is wrong, e.g. `cổng`.
    public var part: String
    /// What is wrong with it.
    public var problem: String

    /// The message, in Vietnamese.
    public var description: String {
        "Địa chỉ PostgreSQL không hợp lệ: \(part) \(problem). Dạng đúng: postgres://người_dùng[:mật_khẩu]@máy_chủ[:cổng]/tên_cơ_sở_dữ_liệu"
    }
}

/// Where and how to connect, read from `postgres://user[:password]@host[:port]/db[?sslmode=…]`
/// (or `postgresql://`). User, password and database may be percent-encoded.
struct PostgresURL: Equatable {
    /// libpq's `sslmode` values, with libpq's meaning: `prefer` (the default) and `require`
    /// encrypt without checking the certificate (a stock Debian server has a self-signed one),
    /// `verify-full` checks it and the host name against the system's trusted roots.
    enum TLSMode: String, CaseIterable {
        case disable, prefer, require
        case verifyFull = "verify-full"

        /// The TLS settings for the mode; nil for `disable`.
        var configuration: TLSConfiguration? {
            guard self != .disable else { return nil }
            var config = TLSConfiguration.makeClientConfiguration()
            if self != .verifyFull { config.certificateVerification = .none }
            return config
        }
    }

    var user: String
    var password: String?
    var host: String
    var port: Int
    var database: String
    var tls: TLSMode

    init(_ text: String) throws {
        func fail(_ part: String, _ problem: String) -> PostgresURLError { PostgresURLError(part: part, problem: problem) }
        guard let schemeEnd = text.range(of: "://") else {
            throw fail("phần đầu", "phải là postgres:// hoặc postgresql://")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw fail("phần đầu \"\(scheme)://\"", "phải là postgres:// hoặc postgresql://")
        }
        var rest = Substring(text[schemeEnd.upperBound...])
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        // The user part may hold an '@' only percent-encoded; the last '@' ends it.
        guard let at = rest.lastIndex(of: "@") else { throw fail("tên người dùng", "bị thiếu (phần trước @)") }
        let userInfo = rest[..<at]
        rest = rest[rest.index(after: at)...]
        let userText: Substring, passwordText: Substring?
        if let colon = userInfo.firstIndex(of: ":") {
            userText = userInfo[..<colon]
            passwordText = userInfo[userInfo.index(after: colon)...]
        } else {
            userText = userInfo
            passwordText = nil
        }
        guard let user = userText.removingPercentEncoding, !user.isEmpty else {
            throw fail("tên người dùng", "bị thiếu hoặc sai mã hoá (phần trước @)")
        }
        guard let password = passwordText.map({ $0.removingPercentEncoding }) ?? .some(nil) else {
            throw fail("mật khẩu", "sai mã hoá phần trăm")
        }
        guard let slash = rest.firstIndex(of: "/") else { throw fail("tên cơ sở dữ liệu", "bị thiếu (phần sau /)") }
        let hostPort = rest[..<slash]
        let dbText = rest[rest.index(after: slash)...]
        guard let database = dbText.removingPercentEncoding, !database.isEmpty, !database.contains("/") else {
            throw fail("tên cơ sở dữ liệu", "bị thiếu hoặc không hợp lệ (phần sau /)")
        }
        // A bracketed IPv6 literal, [::1]:5432, or host[:port].
        var hostText: Substring, portText: Substring?
        if hostPort.hasPrefix("["), let close = hostPort.firstIndex(of: "]") {
            hostText = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { throw fail("máy chủ \"\(hostPort)\"", "không hợp lệ") }
            portText = after.isEmpty ? nil : after.dropFirst()
        } else if let colon = hostPort.lastIndex(of: ":") {
            hostText = hostPort[..<colon]
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            hostText = hostPort
            portText = nil
        }
        guard !hostText.isEmpty else { throw fail("máy chủ", "bị thiếu (phần giữa @ và /)") }
        var port = 5432
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else {
                throw fail("cổng \"\(portText)\"", "phải là một số từ 1 đến 65535")
            }
            port = p
        }
        var tls = TLSMode.prefer
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv[0] == "sslmode" else {
                throw fail("tham số \"\(kv[0])\"", "không được hỗ trợ (chỉ có sslmode)")
            }
            guard kv.count == 2, let mode = TLSMode(rawValue: String(kv[1])) else {
                throw fail("sslmode", "phải là một trong: \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            tls = mode
        }
        self.user = user
        self.password = password
        self.host = String(hostText)
        self.port = port
        self.database = database
        self.tls = tls
    }

    /// For messages and logs: the address without its password.
    var redacted: String {
        "postgres://\(user)\(password == nil ? "" : ":***")@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)"
    }

    /// The pool's configuration.
    func clientConfiguration(poolSize: Int, connectTimeout: Duration) -> PostgresClient.Configuration {
        let mode: PostgresClient.Configuration.TLS
        switch (tls, tls.configuration) {
        case let (.prefer, config?): mode = .prefer(config)
        case let (_, config?): mode = .require(config)
        case (_, nil): mode = .disable
        }
        var config = PostgresClient.Configuration(host: host, port: port, username: user, password: password,
                                                  database: database, tls: mode)
        config.options.maximumConnections = poolSize
        config.options.minimumConnections = 0
        config.options.connectTimeout = connectTimeout
        return config
    }

    /// A single connection's configuration (listening for changes, test set-up).
    func connectionConfiguration(connectTimeout: Duration) throws -> PostgresConnection.Configuration {
        let mode: PostgresConnection.Configuration.TLS
        switch (tls, tls.configuration) {
        case let (.prefer, config?): mode = .prefer(try NIOSSLContext(configuration: config))
        case let (_, config?): mode = .require(try NIOSSLContext(configuration: config))
        case (_, nil): mode = .disable
        }
        var config = PostgresConnection.Configuration(host: host, port: port, username: user, password: password,
                                                      database: database, tls: mode)
        config.options.connectTimeout = .nanoseconds(Int64(connectTimeout.components.seconds) * 1_000_000_000
                                                         + connectTimeout.components.attoseconds / 1_000_000_000)
        return config
    }
}
