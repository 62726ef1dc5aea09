import NIOCore
import PlanCore
import PlanFeed
import Testing

@testable import PlanFeedCache
@testable import PlanServer

@Suite("Packed item texts")
struct PieceArenaTests {
    @Test("every item of the plan comes back byte for byte; events and tasks share their runs, in fewer bytes")
    func planItems() throws {
        let plan = try PlanLoader.load(path: planPath)
        let builder = FeedBuilder(plan: plan, occurrences: try Schedule(plan: plan).occurrences(), ledger: CompletionLedger(records: []))
        let texts = ItemTexts()
        _ = try builder.allParts(texts: texts)
        var arena = PieceArena()
        for text in texts.list { arena.add(Array(text.utf8)) }
        let items = arena.finish()
        let bytes = items.bytes
        #expect(items.count == texts.list.count)
        for (i, text) in texts.list.enumerated() {
            #expect(items.text(i) == Array(text.utf8))
        }
        let plain = texts.list.reduce(0) { $0 + $1.utf8.count }
        // Each item as a ByteBuffer of its own held its bytes rounded up to a power of two.
        let separate = texts.list.reduce(0) { $0 + ByteBuffer(string: $1).capacity }
        #expect(bytes < plain * 8 / 10, "shared runs: \(bytes) bytes for \(plain) bytes of text")
        #expect(separate > plain * 12 / 10)
        let shared = (0..<items.count).filter { items.runCount($0) > 1 }.count
        #expect(shared > texts.list.count / 3, "tasks point to their events' summary, description and URL")
    }

    @Test("texts with repeated, folded, unterminated and over-long properties come back byte for byte")
    func edgeCases() {
        var generator = SystemRandomNumberGenerator()
        let vocabulary: [String] = [
            "BEGIN:VEVENT\r\n", "END:VEVENT\r\n", "STATUS:CONFIRMED\r\n",
            "DESCRIPTION:" + String(repeating: "Bình đẳng giới ", count: 8) + "\r\n " + String(repeating: "x", count: 70) + "\r\n",
            "SUMMARY:" + String(repeating: "Hạn chót ", count: 10) + "\r\n",
            "URL:https://lich.example/" + String(repeating: "a", count: 60) + "\r\n\tcontinued\r\n",
            "X-LONG:" + String(repeating: "z", count: 70_000) + "\r\n",
            "\r\n", "\n", "NOEND:" + String(repeating: "q", count: 80),
        ]
        var texts: [[UInt8]] = []
        for _ in 0..<300 {
            let count = Int.random(in: 1...8, using: &generator)
            texts.append(Array((0..<count).map { _ in vocabulary.randomElement(using: &generator)! }.joined().utf8))
        }
        var arena = PieceArena()
        for t in texts { arena.add(t) }
        let items = arena.finish()
        for (i, t) in texts.enumerated() { #expect(items.text(i) == t) }
    }
}
