import Foundation

/// A `PieceArena`'s result, read by many requests at once (nothing in it changes).
// Immutable once made: `base` is written in `init` only and freed in `deinit`.
final class PieceStore: @unchecked Sendable {
    struct Run {
        var offset: UInt32
        var length: UInt32
    }

    private let base: UnsafeMutableRawBufferPointer
    private let runs: [Run]
    private let starts: [Int32]

    init(_ bytes: [UInt8], runs: [Run], starts: [Int32]) {
        let base = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        bytes.withUnsafeBytes { base.copyMemory(from: $0) }
        self.base = base
        self.runs = runs
        self.starts = starts
    }

    deinit { base.deallocate() }

    /// Items stored.
    var count: Int { starts.count - 1 }

    /// Bytes held: the block and the runs.
    var bytes: Int { base.count + runs.count * MemoryLayout<Run>.stride + starts.count * 4 }

    /// Copies item `i`'s text to `destination`, which has room for `room` bytes (checked before
    /// each run is written); returns the bytes written.
    func copy(_ i: Int, to destination: UnsafeMutableRawPointer, room: Int) -> Int {
        var at = 0
        for r in runs[Int(starts[i])..<Int(starts[i + 1])] {
            precondition(at + Int(r.length) <= room, "an item is longer than the room made for it")
            (destination + at).copyMemory(from: base.baseAddress! + Int(r.offset), byteCount: Int(r.length))
            at += Int(r.length)
        }
        return at
    }

    /// Item `i`'s runs (how many pieces it is in).
    func runCount(_ i: Int) -> Int { Int(starts[i + 1] - starts[i]) }

    /// Item `i`'s text.
    func text(_ i: Int) -> [UInt8] {
        let length = runs[Int(starts[i])..<Int(starts[i + 1])].reduce(0) { $0 + Int($1.length) }
        guard length > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
            count = copy(i, to: UnsafeMutableRawPointer(buffer.baseAddress!), room: length)
        }
    }
}
