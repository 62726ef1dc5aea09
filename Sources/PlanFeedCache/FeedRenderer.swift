import ICal
import NIOCore
public import PlanFeed

/// Renders every feed of a plan as pieces (`PlanRender`): a pure function of the plan as served
/// (a `FeedBuilder` over the plan, its occurrences and its ledger), its generation and the
/// validators last served of its feeds. Items are serialised once and packed (`PieceArena`);
/// each feed's ETag comes from its pieces' digests; Last-Modified moves past the one served
/// before when a feed's bytes changed without a newer item (a client must never see a feed
/// that lost an item as older than the one it has).
public enum FeedRenderer {
    public static func render(_ builder: FeedBuilder, generation: Int,
                              served: ([String]) -> [String: FeedCache.Validators]) throws -> PlanRender {
        let texts = ItemTexts()
        let all = try builder.allParts(texts: texts)
        var arena = PieceArena()
        let digests: [(digest: UInt64, length: Int)] = texts.list.map { text in
            var text = text
            return text.withUTF8 { utf8 in
                arena.add(utf8)
                return (fnv(UnsafeRawBufferPointer(utf8)), utf8.count)
            }
        }
        let items = arena.finish()
        var bytes = items.bytes
        let end = ByteBuffer(string: FeedParts.end)
        let endDigest = end.withUnsafeReadableBytes { fnv($0) }
        let before = served(all.map(\.fileName))
        var feeds: [String: PlanRender.Rendered] = [:]
        for p in all {
            let head = ByteBuffer(string: p.head)
            bytes += head.capacity + 4 * p.items.count
            var length = head.readableBytes + end.readableBytes
            // The tag: FNV-1a over the items' own digests and lengths (the same bytes in the
            // same items always give the same tag; different bytes a different one).
            var h = fnvStart
            func mix(_ digest: UInt64, _ count: Int) {
                h = fnv(h, digest)
                h = fnv(h, UInt64(count))
            }
            mix(head.withUnsafeReadableBytes { fnv($0) }, head.readableBytes)
            for i in p.items {
                length += digests[i].length
                mix(digests[i].digest, digests[i].length)
            }
            mix(endDigest, end.readableBytes)
            let etag = "\"\(String(h, radix: 16))-\(String(length, radix: 16))\""
            var last = p.lastModified
            if let served = before[p.fileName] {
                if served.etag == etag {
                    last = served.lastModified
                } else if last <= served.lastModified {
                    last = UTCDateTime(secondsSinceEpoch: served.lastModified.secondsSinceEpoch + 1)
                }
            }
            feeds[p.fileName] = .init(meta: FeedMeta(etag: etag, lastModified: last, length: length, file: p.fileName),
                                      head: head, items: p.items.map { Int32($0) })
        }
        return PlanRender(generation: generation, feeds: feeds, items: items, end: end, bytes: bytes)
    }

    static let fnvStart: UInt64 = 0xcbf2_9ce4_8422_2325

    /// FNV-1a 64 continued over a word's eight bytes.
    static func fnv(_ h: UInt64, _ v: UInt64) -> UInt64 {
        var h = h
        for shift in stride(from: 0, to: 64, by: 8) {
            h ^= (v >> UInt64(shift)) & 0xff
            h = h &* 0x100_0000_01b3
        }
        return h
    }

    /// FNV-1a 64 of the bytes.
    static func fnv(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h = fnvStart
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return h
    }
}
