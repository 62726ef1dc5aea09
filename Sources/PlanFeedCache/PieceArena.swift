import Foundation

/// A plan's item texts in one block of memory, each equal run of properties stored once.
///
/// Two costs of keeping each item as a ByteBuffer of its own, measured on a 114-ward city: a
/// ByteBuffer's storage is a power of two, so the pieces held 1.4 times their bytes; and an
/// item's event and its task repeat the same summary, description, categories and URL (the
/// tasks feeds are 70 % of the events feeds' size). Here a property of 64 bytes or more already
/// stored — with the properties that follow it there — is pointed to instead of copied, and
/// the whole is one allocation of its exact size. An item is a few runs of that block; copied
/// in order, they are its text, byte for byte.
struct PieceArena {
    /// Properties shorter than this are copied: pointing to them would cut an item into more
    /// runs than it saves bytes.
    static let shareFrom = 64

    private var bytes: [UInt8] = []
    /// Offsets of stored properties of `shareFrom` bytes and more, by the hash of their bytes.
    private var stored: [Int: [Int]] = [:]
    private var runs: [PieceStore.Run] = []
    /// Item i is `runs[starts[i]..<starts[i + 1]]`.
    private var starts: [Int32] = [0]

    init() {}

    /// Stores an item's text; returns its index.
    @discardableResult
    mutating func add(_ text: some Collection<UInt8>) -> Int {
        let text = Array(text)
        // The run being made: `fresh` when it is the end of the block (and grows by appending),
        // else a stored run that grows while the text goes on as it did there.
        var open: (offset: Int, length: Int)?
        var fresh = false
        func close() {
            if let run = open { runs.append(PieceStore.Run(offset: UInt32(run.offset), length: UInt32(run.length))) }
        }
        var start = 0
        while start < text.count {
            let end = PieceArena.propertyEnd(text, from: start)
            let length = end - start
            text.withUnsafeBufferPointer { all in
                let property = UnsafeBufferPointer(rebasing: all[start..<end])
                if let run = open, !fresh, matches(property, at: run.offset + run.length) {
                    open!.length += length
                    return
                }
                if length >= PieceArena.shareFrom, let found = lookup(property) {
                    close()
                    open = (found, length)
                    fresh = false
                    return
                }
                if !fresh {
                    close()
                    open = (bytes.count, 0)
                    fresh = true
                }
                if length >= PieceArena.shareFrom { stored[PieceArena.hash(property), default: []].append(bytes.count) }
                bytes.append(contentsOf: property)
                open!.length += length
            }
            start = end
        }
        close()
        starts.append(Int32(runs.count))
        return starts.count - 2
    }

    /// Where a property ends: after its line feed, and after every folded continuation line.
    static func propertyEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var i = start
        while i < bytes.count {
            if bytes[i] == 0x0A {
                let next = i + 1
                if next < bytes.count, bytes[next] == 0x20 || bytes[next] == 0x09 {
                    i = next
                    continue
                }
                return next
            }
            i += 1
        }
        return bytes.count
    }

    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var h = Hasher()
        h.combine(bytes: UnsafeRawBufferPointer(bytes))
        return h.finalize()
    }

    private func matches(_ property: UnsafeBufferPointer<UInt8>, at offset: Int) -> Bool {
        guard offset + property.count <= bytes.count else { return false }
        return bytes.withUnsafeBufferPointer { all in
            memcmp(all.baseAddress! + offset, property.baseAddress!, property.count) == 0
        }
    }

    private func lookup(_ property: UnsafeBufferPointer<UInt8>) -> Int? {
        stored[PieceArena.hash(property)]?.first { matches(property, at: $0) }
    }

    /// The block in an allocation of its exact size, with every item's runs.
    func finish() -> PieceStore { PieceStore(bytes, runs: runs, starts: starts) }
}
