import Foundation
@testable import PlanCore
import Testing

@Suite("Ids that own their format")
struct IdentifierTests {
    @Test("a unit id is lower-case letters, digits and '-', not first, 1–63 bytes")
    func unitIDs() throws {
        for good in ["vhxh", "cong-an", "a", "0-9", String(repeating: "a", count: 63)] { #expect(UnitID(rawValue: good) != nil, "\(good)") }
        for bad in ["", "-x", "Vhxh", "cong_an", "công-an", "a/b", String(repeating: "a", count: 64)] {
            #expect(UnitID(rawValue: bad) == nil, "\(bad)")
        }
        let id = try #require(UnitID(rawValue: "cong-an"))
        #expect("\(id)" == "cong-an")
        #expect(try JSONDecoder().decode([UnitID].self, from: Data(#"["cong-an"]"#.utf8)) == [id])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([UnitID].self, from: Data(#"["Công an"]"#.utf8)) }
        #expect(String(decoding: try JSONEncoder().encode([id]), as: UTF8.self) == #"["cong-an"]"#)
        #expect(try #require(UnitID(rawValue: "a")) < id)
    }

    @Test("a target id is G<goal>.T<number>")
    func targetIDs() {
        for good in ["G6.T3", "G1.T1", "G10.T12"] { #expect(TargetID(rawValue: good) != nil, "\(good)") }
        for bad in ["g6.t3", "G6T3", "G6.T", "G123.T1", "G6.T3 ", "6.3", "G.T3", "G6.T3.4", "G6.X3", "X6.T3", "G6..T3", "G6.T333", "", ".", "G٣.T3"] { #expect(TargetID(rawValue: bad) == nil, "\(bad)") }
        #expect(TargetID(rawValue: "G6.T3")?.number == "3")
        #expect(TargetID(rawValue: "G10.T12")?.number == "12")
    }

    @Test("a figure id is a letter, then letters, digits and '-', 63 at most")
    func figureIDs() {
        for good in ["a", "victims-detected", "x9", String(repeating: "a", count: 63)] {
            #expect(PlanBuilder.isFigureID(good), "\(good)")
        }
        for bad in ["", "9a", "-a", "A", "a_b", "vụ", "a b", String(repeating: "a", count: 64)] {
            #expect(!PlanBuilder.isFigureID(bad), "\(bad)")
        }
    }

    @Test("an id read back from a store is checked: a malformed one is a corrupt store, named")
    func storedIDs() throws {
        #expect(try TargetID(stored: "G6.T3", column: "figure.target") == "G6.T3")
        #expect(throws: StorageError.corrupt(#"figure.target = "G6 T3" không phải là mã hợp lệ"#)) {
            try TargetID(stored: "G6 T3", column: "figure.target")
        }
    }

    @Test("a target named on a command line or in a request: unknown and malformed both list the known ones")
    func namedTargets() throws {
        let plan = try TestSupport.shippedPlan()
        #expect(try FigureValidator.target("G3.T2", in: plan) == "G3.T2")
        for text in ["G9.T9", "g3.t2", ""] {
            #expect(throws: FigureError.self) { try FigureValidator.target(text, in: plan) }
            do { _ = try FigureValidator.target(text, in: plan) } catch let FigureError.unknownTarget(named, known) {
                #expect(named == text)
                #expect(known.contains("G3.T2") && !known.contains("G6.T3"))
            }
            do { _ = try BaselineValidator.target(text, in: plan) } catch let BaselineError.unknownTarget(named, known) {
                #expect(named == text)
                #expect(known.contains("G3.T2"))
            }
        }
    }

    @Test("every occurrence the shipped plan makes has an occurrence id's format; others do not")
    func occurrenceIDs() throws {
        let occurrences = try Schedule(plan: try TestSupport.shippedPlan()).occurrences()
        #expect(!occurrences.isEmpty)
        for o in occurrences {
            // The schedule builds its ids unchecked; each must read back as itself.
            #expect(OccurrenceID(rawValue: o.id.rawValue) == o.id, "\(o.id)")
            #expect(o.id.obligation == o.obligationID)
            #expect(Schedule.key(o) == String(o.id.period), "\(o.id)")
        }
        for bad in ["quarterly-news", "quarterly-news/2026-Q5", "quarterly-news/26", "x/2026/Cong", "session/2026/x", "/2026", "a/2026/b/c"] {
            #expect(OccurrenceID(rawValue: bad) == nil, "\(bad)")
        }
    }
}
