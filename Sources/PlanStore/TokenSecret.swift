import Crypto
import Foundation

/// The text of a unit token, `pc_<id>_<secret>`, and the digest stored in its place: one
/// definition for every engine.
package enum TokenSecret {
    /// A new token: its public id, the text shown once, and the digest to store.
    package static func make() -> (id: String, text: String, hash: String) {
        let id = random(bytes: 4), secret = random(bytes: 24)
        return (id, "pc_\(id)_\(secret)", hash(secret))
    }

    /// The id and secret of a well-formed token text; nil for anything else.
    package static func parse(_ presented: String) -> (id: String, secret: String)? {
        let parts = presented.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "pc", parts[1].count == 8, parts[2].count == 48,
              presented.allSatisfy({ $0.isASCII }) else { return nil }
        return (String(parts[1]), String(parts[2]))
    }

    /// SHA-256, hex.
    package static func hash(_ secret: String) -> String {
        hex(SHA256.hash(data: Data(secret.utf8)))
    }

    /// Lower-case hex of bytes. Every request with a token hashes it, and `String(format:)` per
    /// byte (CFString on Linux) cost more than the SHA-256 itself.
    package static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares digests in constant time.
    package static func matches(_ secret: String, hash stored: String) -> Bool {
        let given = Array(hash(secret).utf8), stored = Array(stored.utf8)
        guard given.count == stored.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<given.count { diff |= given[i] ^ stored[i] }
        return diff == 0
    }

    package static func random(bytes: Int) -> String {
        var g = SystemRandomNumberGenerator()
        return hex((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &g) })
    }
}
