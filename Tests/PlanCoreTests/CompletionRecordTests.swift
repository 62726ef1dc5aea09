import ICal
import PlanCore
import Testing

@Suite("Completion records and the store's rows")
struct CompletionRecordTests {
    static let at = UTCDateTime(secondsSinceEpoch: 1_795_910_400)
    static let day = CivilDate(year: 2026, month: 11, day: 20)!

    static func read(_ c: CompletionRecord.Columns) throws -> CompletionRecord {
        try CompletionRecord(id: 7, plan: "p", unit: "vhxh", recordedBy: "t", recordedAt: at, columns: c)
    }

    static let kinds: [CompletionRecord.Kind] = [
        .done(occurrence: "o/2026", .init(on: day, evidenceURL: "https://x.example/1", note: "n", reached: 3, participants: 4,
                                          organisations: ["mttq", "cong-an"], reason: "sửa")),
        .adHoc(.news, .init(on: day, evidenceURL: "https://x.example/2")),
        .adHoc(.meeting, .init(on: day, reached: 10, organisations: ["mttq"])),
        .adHoc(.training, .init(on: day, participants: 5)),
        .adHoc(.obstacle, .init(on: day, note: "thiếu tài liệu")),
        .undo(occurrence: "o/2026", reason: "nhầm"),
        .withdrawal(of: 3, occurrence: nil, reason: "nhầm"),
        .withdrawal(of: 4, occurrence: "o/2026", reason: "áp dụng lại"),
        .waive(occurrence: "o/2026", reason: "không áp dụng"),
        .resolve(obstacle: 5, on: day, note: "đã cấp tài liệu"),
    ]

    @Test("every kind of record reads back from its row as it was")
    func roundTrip() throws {
        for kind in Self.kinds {
            let r = CompletionRecord(id: 7, plan: "p", unit: "vhxh", recordedBy: "t", recordedAt: Self.at, kind: kind)
            #expect(try Self.read(r.columns) == r)
        }
    }

    @Test("a row no kind fits is an error naming the row, not a crash")
    func badRows() {
        func columns(_ action: String, occurrence: String? = nil, day: String? = nil, withdraws: Int64? = nil)
            -> CompletionRecord.Columns {
            .init(action: action, occurrenceID: occurrence, doneOn: day, evidenceURL: nil, note: nil, reached: nil,
                  participants: nil, organisations: [], reason: nil, withdraws: withdraws)
        }
        let bad = [columns("done", occurrence: "o/2026"), columns("done", day: "2026-11-20"), columns("news"),
                   columns("news", day: "2026-13-45"), columns("undo"), columns("waive"), columns("resolve", day: "2026-11-20"),
                   columns("resolve", withdraws: 1), columns("finished", occurrence: "o/2026", day: "2026-11-20")]
        for c in bad {
            #expect(throws: StoredRecordError.self, "\(c.action)") { try Self.read(c) }
        }
        #expect((try? Self.read(columns("undo", withdraws: 2)))?.kind == .withdrawal(of: 2, occurrence: nil, reason: nil))
    }

    @Test("ids a row holds are read through their types: a unit, occurrence or organisation of the wrong form is an error")
    func malformedIDs() throws {
        let good = CompletionRecord.Columns(action: "done", occurrenceID: "o/2026", doneOn: "2026-11-20", evidenceURL: nil,
                                            note: nil, reached: nil, participants: nil, organisations: ["mttq"],
                                            reason: nil, withdraws: nil)
        #expect(try Self.read(good).organisations == ["mttq"])
        var occurrence = good
        occurrence.occurrenceID = "o/26"
        #expect(throws: StoredRecordError(id: 7, problem: "occurrenceID o/26")) { try Self.read(occurrence) }
        var organisation = good
        organisation.organisations = ["MTTQ"]
        #expect(throws: StoredRecordError(id: 7, problem: "organisations MTTQ")) { try Self.read(organisation) }
        #expect(throws: StoredRecordError(id: 7, problem: "unit Công an")) {
            try CompletionRecord(id: 7, plan: "p", unit: "Công an", recordedBy: "t", recordedAt: Self.at, columns: good)
        }
    }
}
