import Foundation
import ICal
import PlanCore
import Testing

@testable import PlanFeed

/// The package root, found from this file.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let shippedPlanPath = packageRoot.appendingPathComponent("calendars/bach-dang/plan.yaml").path

func shippedPlan() throws -> Plan { try PlanLoader.load(path: shippedPlanPath) }

/// Splits a feed into its VEVENT/VTODO blocks keyed by UID.
func items(_ text: String) -> [String: String] {
    var out: [String: String] = [:]
    for kind in ["VEVENT", "VTODO"] {
        let parts = text.components(separatedBy: "BEGIN:\(kind)\r\n").dropFirst()
        for part in parts {
            let block = part.components(separatedBy: "END:\(kind)\r\n")[0]
            let unfolded = block.replacingOccurrences(of: "\r\n ", with: "")
            let uid = unfolded.components(separatedBy: "\r\n").first { $0.hasPrefix("UID:") }!.dropFirst(4)
            out[String(uid)] = block
        }
    }
    return out
}

@Suite("Feeds")
struct FeedBuilderTests {
    @Test("the committed feeds in calendars/bach-dang are what generate writes (not stale)")
    func notStale() throws {
        let feeds = try FeedBuilder(plan: try shippedPlan(), records: []).feeds()
        #expect(feeds.count == 18)
        for feed in feeds {
            let url = packageRoot.appendingPathComponent("calendars/bach-dang/\(feed.fileName)")
            let committed = try String(contentsOf: url, encoding: .utf8)
            #expect(committed == feed.text, "calendars/bach-dang/\(feed.fileName) is stale: run `swift run plancal generate`")
        }
    }

    @Test("the same plan and records give byte-identical feeds")
    func deterministic() throws {
        let plan = try shippedPlan()
        let record = CompletionRecord(id: 1, plan: plan.id, unit: "vhxh", recordedBy: "Lan",
                                      recordedAt: UTCDateTime(secondsSinceEpoch: 1_795_910_400),
                                      kind: .done(occurrence: "quarterly-news/2026-Q4",
                                                  .init(on: try #require(CivilDate(year: 2026, month: 11, day: 20)),
                                                        evidenceURL: "https://bachdang.example/tin/1")))
        let a = try FeedBuilder(plan: plan, records: [record]).feeds()
        let b = try FeedBuilder(plan: plan, records: [record]).feeds()
        #expect(a == b)
    }

    @Test("every feed re-parses in libical with no errors, with unique UIDs")
    func reparse() throws {
        for feed in try FeedBuilder(plan: try shippedPlan(), records: []).feeds() {
            let cal = try ICalComponent(parsing: feed.text)
            #expect(cal.errors.isEmpty, "\(feed.fileName): \(cal.errors)")
            let kind: ICalComponentKind = feed.variant == .events ? .event : .todo
            let uids = cal.children(kind).compactMap { $0.value(of: "UID") }
            #expect(!uids.isEmpty)
            #expect(Set(uids).count == uids.count)
            #expect(cal.value(of: "NAME") == cal.value(of: "X-WR-CALNAME"))
        }
    }

    @Test("all-day items: DTEND is the day after the last day; the action month is 15/11–15/12")
    func allDay() throws {
        let feed = try FeedBuilder(plan: try shippedPlan(), records: []).feed(unit: "cong-an", variant: .events)
        let all = items(feed.text)
        let month = try #require(all["action-month/2026@bach-dang.plancal"])
        #expect(month.contains("DTSTART;VALUE=DATE:20261115\r\n"))
        #expect(month.contains("DTEND;VALUE=DATE:20261216\r\n"))
        let report = try #require(all["annual-report/2026/cong-an@bach-dang.plancal"])
        #expect(report.contains("DTSTART;VALUE=DATE:20261214\r\n"))
        #expect(report.contains("DTEND;VALUE=DATE:20261215\r\n"))
        #expect(report.contains("BEGIN:VALARM"))
        #expect(all["annual-report/2026/mttq@bach-dang.plancal"] == nil)
    }

    @Test("a completion changes only its own items: ✓, SEQUENCE and LAST-MODIFIED up, UID kept")
    func completionChangesOnlyItsItem() throws {
        let plan = try shippedPlan()
        let before = try FeedBuilder(plan: plan, records: []).feeds()
        let record = CompletionRecord(id: 1, plan: plan.id, unit: "vhxh", recordedBy: "Lan",
                                      recordedAt: UTCDateTime(secondsSinceEpoch: 1_795_910_400 + 3600),
                                      kind: .done(occurrence: "quarterly-news/2026-Q4",
                                                  .init(on: try #require(CivilDate(year: 2026, month: 11, day: 20)),
                                                        evidenceURL: "https://bachdang.example/tin/binh-dang-gioi-quy-4")))
        let after = try FeedBuilder(plan: plan, records: [record]).feeds()
        for (old, new) in zip(before, after) {
            let o = items(old.text), n = items(new.text)
            #expect(Set(o.keys) == Set(n.keys), "\(old.fileName): UIDs changed")
            for (uid, block) in o where !uid.contains("quarterly-news/2026-Q4") {
                #expect(n[uid] == block, "\(old.fileName): \(uid) changed")
            }
            if let changed = n["quarterly-news/2026-Q4@bach-dang.plancal"] {
                let unfolded = changed.replacingOccurrences(of: "\r\n ", with: "")
                #expect(unfolded.contains("SUMMARY:✓ Hạn: "))
                #expect(unfolded.contains("SEQUENCE:1\r\n"))
                #expect(unfolded.contains("LAST-MODIFIED:20261129T010000Z\r\n"))
                #expect(unfolded.contains("https://bachdang.example/tin/binh-dang-gioi-quy-4"))
                // A done item reminds nobody.
                #expect(!unfolded.contains("BEGIN:VALARM"))
            }
            if let task = n["task/quarterly-news/2026-Q4@bach-dang.plancal"] {
                #expect(task.contains("STATUS:COMPLETED\r\n"))
                #expect(task.contains("PERCENT-COMPLETE:100\r\n"))
                #expect(task.contains("COMPLETED:20261120T050000Z\r\n"))
            }
        }
        // An undo is a change too: SEQUENCE goes on rising, the ✓ goes.
        let undo = CompletionRecord(id: 2, plan: plan.id, unit: "vhxh", recordedBy: "Lan",
                                    recordedAt: UTCDateTime(secondsSinceEpoch: 1_795_910_400 + 7200),
                                    kind: .undo(occurrence: "quarterly-news/2026-Q4", reason: "nhầm"))
        let undone = items(try FeedBuilder(plan: plan, records: [record, undo]).feed(unit: "vhxh", variant: .events).text)
        let item = try #require(undone["quarterly-news/2026-Q4@bach-dang.plancal"])
        #expect(item.contains("SEQUENCE:2\r\n"))
        #expect(!item.contains("✓"))
        #expect(item.contains("BEGIN:VALARM"))
    }

    @Test("a participant's completion is listed but does not tick the owner's item")
    func participantCompletion() throws {
        let plan = try shippedPlan()
        let record = CompletionRecord(id: 1, plan: plan.id, unit: "hoi-lhpn", recordedBy: "Chị Hoa",
                                      recordedAt: UTCDateTime(secondsSinceEpoch: 1_795_910_400),
                                      kind: .done(occurrence: "action-month/2026",
                                                  .init(on: try #require(CivilDate(year: 2026, month: 11, day: 20)))))
        let feed = try FeedBuilder(plan: plan, records: [record]).feed(unit: "vhxh", variant: .events)
        let item = try #require(items(feed.text)["action-month/2026@bach-dang.plancal"]).replacingOccurrences(of: "\r\n ", with: "")
        #expect(!item.contains("SUMMARY:✓"))
        #expect(item.contains("Đã tham gia\\, ghi nhận ngày 20/11/2026 — Hội Liên hiệp Phụ nữ phường"))
        #expect(item.contains("SEQUENCE:1\r\n"))
    }

    @Test("a timed session carries its TZID and the calendar its one VTIMEZONE")
    func session() throws {
        let feed = try FeedBuilder(plan: try shippedPlan(), records: []).feed(unit: "mttq", variant: .events)
        #expect(feed.text.components(separatedBy: "BEGIN:VTIMEZONE").count == 2)
        let s = try #require(items(feed.text)["session/tap-huan-2027@bach-dang.plancal"])
        #expect(s.contains("DTSTART;TZID=Asia/Ho_Chi_Minh:20270318T080000\r\n"))
        #expect(s.contains("DTEND;TZID=Asia/Ho_Chi_Minh:20270318T113000\r\n"))
        // A feed without sessions has no VTIMEZONE.
        let kt = try FeedBuilder(plan: try shippedPlan(), records: []).feed(unit: "kthtdt", variant: .events)
        #expect(!kt.text.contains("VTIMEZONE"))
    }

    @Test("an unknown unit is an error, not an empty feed")
    func unknownUnit() throws {
        #expect(throws: FeedError.unknownUnit("nope")) {
            try FeedBuilder(plan: try shippedPlan(), records: []).feed(unit: "nope", variant: .events)
        }
    }

    @Test("FeedWriter writes atomically and only what changed")
    func writer() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plancal-feeds-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let feeds = try FeedBuilder(plan: try shippedPlan(), records: []).feeds()
        #expect(try FeedWriter.write(feeds, to: dir).count == 18)
        #expect(try FeedWriter.write(feeds, to: dir).isEmpty)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !$0.hasSuffix(".ics") }
        #expect(leftovers.isEmpty)
    }
}

@Suite("Feeds built from shared item texts")
struct SharedItemTextTests {
    /// `feeds()` serialises each distinct item once and puts the texts between the calendar's
    /// head and END line; libical serialising each whole tree must give the same bytes, for every
    /// feed, with completions that make items read differently per viewer.
    @Test func sameBytesAsWholeTreeSerialisation() throws {
        let plan = try shippedPlan()
        let occurrences = try Schedule(plan: plan).occurrences()
        var records: [CompletionRecord] = []
        for (i, o) in occurrences.enumerated() where i % 3 == 0 {
            // The owner's completion on some, a participant's part on others.
            let unit = i % 2 == 0 ? o.owner : (o.participants.first ?? o.owner)
            records.append(CompletionRecord(id: Int64(i + 1), plan: plan.id, unit: unit, recordedBy: "Lan",
                                            recordedAt: UTCDateTime(secondsSinceEpoch: 1_795_910_400 + i),
                                            kind: .done(occurrence: o.id, .init(on: o.last, evidenceURL: "https://bachdang.example/tin/\(i)"))))
        }
        let builder = try FeedBuilder(plan: plan, records: records)
        let feeds = try builder.feeds()
        #expect(feeds.count == 18)
        for feed in feeds {
            let whole = try builder.feedSerialisedWhole(unit: feed.unitID, variant: feed.variant)
            #expect(feed == whole, "\(feed.fileName)")
            #expect(try builder.feed(unit: feed.unitID, variant: feed.variant) == whole, "\(feed.fileName) alone")
        }
    }
}

@Suite("Feeds and fulfilment")
struct FeedFulfilmentTests {
    @Test("an item a meeting fulfilled (fulfilled_by: [meeting]) is completed in the unit's task feed, on the meeting's day")
    func fulfilledItemIsCompleted() throws {
        let meeting = CompletionRecord(
            id: 1, plan: "bach-dang", unit: "vhxh", recordedBy: "t", recordedAt: UTCDateTime(secondsSinceEpoch: 1_773_100_000),
            kind: .adHoc(.meeting, .init(on: CivilDate(year: 2026, month: 3, day: 10)!, reached: 100, organisations: ["cong-an"])))
        let feeds = try FeedBuilder(plan: try shippedPlan(), records: [meeting]).feeds()
        let tasks = try #require(feeds.first { $0.fileName == "cong-an-tasks.ics" })
        let all = items(tasks.text)
        let informed = try #require(all["task/dissemination/2026/cong-an@bach-dang.plancal"])
        #expect(informed.contains("STATUS:COMPLETED\r\n"))
        #expect(informed.contains("COMPLETED:20260310T"))
        let kthtdt = try #require(feeds.first { $0.fileName == "kthtdt-tasks.ics" })
        let other = try #require(items(kthtdt.text)["task/dissemination/2026/kthtdt@bach-dang.plancal"])
        #expect(!other.contains("STATUS:COMPLETED"), "kthtdt was not named")
    }
}
