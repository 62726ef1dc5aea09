import Foundation
import ICal
@testable import PlanCore
import Testing

/// The compliance outputs are the product ward officials read and hand on: they are compared
/// byte for byte with golden files in `Fixtures/golden/`. To accept a deliberate change, run the
/// tests with `PLANCAL_UPDATE_GOLDEN=1` and review the diff.
@Suite struct ComplianceGoldenTests {
    /// A history touching every part of the report: met, late and missed quarters, an ad hoc
    /// news item, a partial G6.T2 year, reach, an on-time and a late annual report.
    static func history(_ h: Harness? = nil) async throws -> Harness {
        let h = try h ?? Harness.shipped()
        try await h.done("quarterly-news/2025-Q1", by: "vhxh", on: day(10, 2, 2025), evidence: "https://bachdang.example/tin/2025-q1")
        try await h.done("quarterly-news/2025-Q3", by: "vhxh", on: day(5, 10, 2025), evidence: "https://bachdang.example/tin/2025-q3-tre")
        try await h.adHoc(.news, on: day(12, 11, 2025), evidence: "https://bachdang.example/tin/thang-hanh-dong-2025")
        try await h.done("quarterly-news/2026-Q4", by: "vhxh", on: day(20, 11, 2026), evidence: "https://bachdang.example/tin/2026-q4", reached: 350)
        try await h.done("dissemination/2026/mttq", by: "mttq", on: day(8, 3, 2026))
        try await h.done("dissemination/2026/cong-an", by: "vhxh", on: day(15, 4, 2026))
        try await h.adHoc(.meeting, by: "to-dan-pho", on: day(2, 6, 2026), reached: 1200, organisations: ["hoi-lhpn"])
        try await h.done("annual-report/2025/cong-an", by: "cong-an", on: day(10, 12, 2025))
        try await h.done("annual-report/2025/mttq", by: "mttq", on: day(18, 12, 2025))
        try await h.done("annual-report/2026/kthtdt", by: "kthtdt", on: day(1, 12, 2026), today: day(1, 12, 2026))
        return h
    }

    static func golden(_ name: String, _ actual: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = TestSupport.packageRoot.appendingPathComponent("Tests/PlanCoreTests/Fixtures/golden/\(name)")
        if ProcessInfo.processInfo.environment["PLANCAL_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: url)
        }
        // Decoded by hand: Foundation's String(contentsOf:) drops a leading byte-order mark.
        let expected = String(decoding: try Data(contentsOf: url), as: UTF8.self)
        #expect(actual == expected, "\(name) differs from its golden file", sourceLocation: sourceLocation)
    }

    @Test func table() async throws {
        let h = try await Self.history()
        try Self.golden("compliance-2026-12-02.txt", try await h.report(today: day(2, 12, 2026)).table(plan: h.plan))
        try Self.golden("compliance-2025-year.txt", try await h.report(today: day(2, 12, 2026), year: 2025).table(plan: h.plan))
        // A year that has not begun: its quarters and its dissemination are "chưa đến".
        try Self.golden("compliance-2027-year.txt", try await h.report(today: day(2, 12, 2026), year: 2027).table(plan: h.plan))
    }

    /// The shipped plan as shipped (tracked from 01/06/2026): what is due before is not judged.
    @Test func tableTracked() async throws {
        let h = try await Self.history(try Harness.shippedAsIs())
        try Self.golden("compliance-tracked-2026-12-02.txt", try await h.report(today: day(2, 12, 2026)).table(plan: h.plan))
    }

    @Test func csv() async throws {
        let h = try await Self.history()
        let csv = try await h.report(today: day(2, 12, 2026)).csv(plan: h.plan)
        #expect(csv.hasPrefix("\u{FEFF}chi_tieu,"))
        try Self.golden("compliance-2026-12-02.csv", csv)
    }

    @Test func json() async throws {
        let h = try await Self.history()
        try Self.golden("compliance-2026-12-02.json", try await h.report(today: day(2, 12, 2026)).json())
    }
}
