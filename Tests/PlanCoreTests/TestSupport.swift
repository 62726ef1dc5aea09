import Foundation
import ICal
@testable import PlanCore
import Testing

/// Paths and helpers shared by the PlanCore tests.
enum TestSupport {
    /// The package root: the first folder above this file holding `Package.swift`.
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            let parent = url.deletingLastPathComponent()
            precondition(parent.path != url.path, "no Package.swift above \(#filePath)")
            url = parent
        }
        return url
    }()

    /// The shipped Bạch Đằng plan.
    static var shippedPlanPath: String {
        packageRoot.appendingPathComponent("calendars/bach-dang/plan.yaml").path
    }

    static func shippedPlan() throws -> Plan { try PlanLoader.load(path: shippedPlanPath) }

    /// The test target's `Fixtures` folder (copied as a resource).
    static var fixtures: URL {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            fatalError("Fixtures resource folder is missing from the test bundle")
        }
        return url
    }

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// A fresh temporary directory, removed by the caller with `cleanUp`.
    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("plancore-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func cleanUp(_ dir: URL) { try? FileManager.default.removeItem(at: dir) }

    /// The header and the two units (vhxh, the lead; cong-an) a small inline test plan starts
    /// with; what follows is the test's own (13 lines, so its first line is line 14).
    static let smallPlanHead = """
    plan:
      id: test-ward
      title: "Kế hoạch thử"
      issuer: "UBND phường Thử"
      period: { start: 2025-01-01, end: 2030-12-31 }
      time_zone: Asia/Ho_Chi_Minh
      revised: 2026-11-29
    units:
      - id: vhxh
        name: "Phòng Văn hóa - Xã hội"
        role: lead
      - id: cong-an
        name: "Công an phường"

    """

    /// The shipped plan with `population: null` replaced, written to a temp file and loaded
    /// (tracked from its first day, as the tests of the rules want).
    static func shippedPlan(population: Int) throws -> Plan {
        try shippedPlan(edit: { $0.replacingOccurrences(of: "population: null", with: "population: \(population)") },
                        check: "population: null", trackingFrom: nil)
    }

    /// The shipped plan with its `tracking_from` replaced (nil: none, so every item is judged
    /// from the plan's first day).
    static func shippedPlan(trackingFrom: CivilDate?) throws -> Plan {
        try shippedPlan(edit: { $0 }, check: "tracking_from:", trackingFrom: trackingFrom)
    }

    private static func shippedPlan(edit: (String) -> String, check: String, trackingFrom: CivilDate?) throws -> Plan {
        let text = try String(contentsOfFile: shippedPlanPath, encoding: .utf8)
        precondition(text.contains(check), "the shipped plan no longer says \(check)")
        let dir = try temporaryDirectory()
        defer { cleanUp(dir) }
        let path = dir.appendingPathComponent("plan.yaml").path
        let lines = edit(text).split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.hasPrefix("  tracking_from:") else { return String(line) }
            return trackingFrom.map { "  tracking_from: \($0.iso)" } ?? ""
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return try PlanLoader.load(path: path)
    }
}

/// A day written the Vietnamese way round: `day(31, 3, 2025)` is 31/03/2025.
func day(_ d: Int, _ m: Int, _ y: Int) -> CivilDate {
    guard let date = CivilDate(year: y, month: m, day: d) else { fatalError("no such day \(d)/\(m)/\(y)") }
    return date
}

/// A fixed instant for `recordedAt` / `now`: noon UTC on a day.
func noon(_ date: CivilDate) -> UTCDateTime {
    UTCDateTime(secondsSinceEpoch: UTCDateTime(startOf: date).secondsSinceEpoch + 12 * 3600)
}
