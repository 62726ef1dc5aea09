import Foundation
import ICal
@testable import PlanCore
import Testing

/// Broken plans: each fixture in `Fixtures/broken/` is `Fixtures/minimal.yaml` with one small edit
/// (the first line of each says what). Every error must name the file, the line where it is
/// known, the field path and what is wrong.
@Suite struct PlanLoaderTests {
    /// Loads a plan that must fail and returns the error (nil, with a recorded issue, otherwise).
    static func failure(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) -> PlanError? {
        do {
            let plan = try PlanLoader.load(path: path)
            Issue.record("\(path) loaded as plan \(plan.id); expected a PlanError", sourceLocation: sourceLocation)
            return nil
        } catch let error as PlanError {
            return error
        } catch {
            Issue.record("\(path): expected a PlanError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// Checks that loading `path` gives exactly one issue, at `line` and `field`, whose message contains `phrase`.
    static func expectSingleIssue(_ path: String, line: Int?, field: String?, phrase: String,
                                  sourceLocation: SourceLocation = #_sourceLocation) {
        guard let error = failure(path, sourceLocation: sourceLocation) else { return }
        #expect(error.issues.count == 1, "expected one issue, got:\n\(error)", sourceLocation: sourceLocation)
        guard let issue = error.issues.first else {
            Issue.record("PlanError without issues", sourceLocation: sourceLocation)
            return
        }
        expect(issue, in: error, path: path, line: line, field: field, phrase: phrase, sourceLocation: sourceLocation)
    }

    static func expect(_ issue: PlanIssue, in error: PlanError, path: String, line: Int?, field: String?, phrase: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        let name = URL(fileURLWithPath: path).lastPathComponent
        #expect(issue.file == path, sourceLocation: sourceLocation)
        #expect(error.description.contains(name), "file name missing from: \(error)", sourceLocation: sourceLocation)
        #expect(issue.description.hasPrefix(path), sourceLocation: sourceLocation)
        #expect(issue.line == line, "line, in: \(issue)", sourceLocation: sourceLocation)
        if let line {
            #expect(issue.description.contains("\(name):\(line): "), "\(issue)", sourceLocation: sourceLocation)
        }
        #expect(issue.field == field, "field path, in: \(issue)", sourceLocation: sourceLocation)
        if let field {
            #expect(issue.description.contains("\(field): "), "\(issue)", sourceLocation: sourceLocation)
        }
        #expect(issue.message.contains(phrase), "message \"\(issue.message)\" lacks \"\(phrase)\"",
                sourceLocation: sourceLocation)
    }

    static func broken(_ name: String) -> String { TestSupport.fixture("broken/\(name)") }

    // MARK: - The valid base

    @Test func minimalFixtureLoads() async throws {
        let plan = try PlanLoader.load(path: TestSupport.fixture("minimal.yaml"))
        #expect(plan.id == "test-ward")
        #expect(plan.start == day(1, 1, 2025))
        #expect(plan.end == day(31, 12, 2030))
        #expect(plan.timeZone == "Asia/Ho_Chi_Minh")
        #expect(plan.utcOffsetSeconds == 7 * 3600)
        #expect(plan.population == nil)
        #expect(plan.publicBaseURL == "https://lich.example.org")
        #expect(plan.revised == UTCDateTime(startOf: day(29, 11, 2026)))
        #expect(plan.refreshSeconds == 12 * 3600)
        #expect(plan.units.map(\.id) == ["vhxh", "cong-an"])
        #expect(plan.leadUnit?.id == "vhxh")
        #expect(plan.obligations.map(\.id) == ["quarterly-news", "action-month"])
        #expect(plan.obligations[0].key == .quarter)
        #expect(plan.obligations[1].key == .year)
        #expect(plan.obligations[1].kind == .span(days: 31))
        #expect(plan.obligations[1].participants == ["vhxh", "cong-an"])
        #expect(plan.obligations[0].reminderDays == [7, 1])
        #expect(plan.obligations[1].reminderDays == [1])
        #expect(plan.sessions.first?.startMinutes == 480)
        #expect(plan.sessions.first?.endMinutes == 690)
    }

    @Test func shippedPlanLoads() async throws {
        let plan = try TestSupport.shippedPlan()
        #expect(plan.id == "bach-dang")
        #expect(plan.units.count == 8)
        #expect(plan.targets.count == 15)
        #expect(plan.obligations.count == 20)
        #expect(plan.sessions.map(\.id) == ["tap-huan-2027"])
        #expect(plan.utcOffsetSeconds == 25_200)
        #expect(plan.organisations.map(\.id) == ["vhxh", "kthtdt", "cong-an", "chi-bo", "mttq", "hoi-lhpn", "hoi-nong-dan"])
    }

    // MARK: - One problem per file

    @Test func invalidYAMLSyntaxGivesItsLine() async {
        Self.expectSingleIssue(Self.broken("yaml-syntax.yaml"), line: 4, field: nil, phrase: "lỗi cú pháp YAML")
    }

    /// libyaml finds a key without ':' and an unclosed quote only further on; the message
    /// points at the line where the mistake is, in Vietnamese.
    @Test(arguments: [
        ("plan:\n  id: x\n  title \"abc\"\n  issuer: y\n", 3, "thiếu dấu ':'"),
        ("plan:\n  id: x\n  title: \"abc\n  issuer: y\n", 3, "thiếu dấu ngoặc kép đóng"),
        ("plan:\n  id: [x, y\n  title: abc\n", 2, "thiếu ',' hoặc ']'"),
        ("plan:\n  id: x\n\ttitle: abc\n", 3, "ký tự tab"),
    ])
    func yamlSyntaxErrorsPointAtTheMistake(text: String, line: Int, phrase: String) {
        do {
            _ = try PlanLoader.parse(data: Data(text.utf8), file: "x.yaml")
            Issue.record("accepted:\n\(text)")
        } catch let error as PlanError {
            #expect(error.issues.count == 1)
            #expect(error.issues.first?.line == line, "\(error)")
            #expect(error.description.contains(phrase), "\(error)")
        } catch {
            Issue.record("not a PlanError: \(error)")
        }
    }

    @Test func missingRequiredField() async {
        Self.expectSingleIssue(Self.broken("missing-field.yaml"), line: 22, field: "obligations[0].title",
                               phrase: "thiếu trường bắt buộc")
    }

    @Test func missingRevisedInHeader() async {
        Self.expectSingleIssue(Self.broken("missing-revised.yaml"), line: 3, field: "plan.revised",
                               phrase: "thiếu trường bắt buộc")
    }

    @Test func mistypedFieldNameIsAnUnknownField() async {
        Self.expectSingleIssue(Self.broken("unknown-field.yaml"), line: 38, field: "obligations[1].participant",
                               phrase: "trường không xác định")
    }

    /// `title` twice under `plan` (lines 4 and 6). Yams itself refuses duplicate keys, with the
    /// line of the first one; the issue must give a line, name the key, and stay short (not
    /// repeat the file).
    @Test func duplicateKeyInAMapping() async throws {
        let path = Self.broken("duplicate-key.yaml")
        let error = try #require(Self.failure(path))
        #expect(error.issues.count == 1, "\(error)")
        let issue = try #require(error.issues.first)
        #expect(issue.file == path)
        #expect(issue.line == 4 || issue.line == 6, "no line in: \(issue)")
        #expect(issue.field == nil || issue.field == "plan.title")
        #expect(issue.message.contains("title"))
        #expect(issue.message.contains("bị lặp"))
        // The file's content is not pasted into the message.
        #expect(!issue.message.contains("public_base_url"), "message repeats the file: \(issue.message)")
        #expect(issue.message.count < 300, "message is \(issue.message.count) characters long")
    }

    /// The duplicate `title` of obligations[0] is on line 25 (the first is on line 23).
    @Test func duplicateKeyInAnObligationPointsAtTheSecondOne() async throws {
        let path = Self.broken("duplicate-key-obligation.yaml")
        let error = try #require(Self.failure(path))
        #expect(error.issues.count == 1, "\(error)")
        let issue = try #require(error.issues.first)
        #expect(issue.line == 25, "\(issue)")
        #expect(issue.message.contains("title"))
        #expect(issue.message.contains("bị lặp"))
        #expect(issue.message.count < 300)
    }

    @Test func ruleGivingNoDateInThePeriod() async {
        Self.expectSingleIssue(Self.broken("rule-without-dates.yaml"), line: 36, field: "obligations[1].dtstart",
                               phrase: "quy tắc không cho ngày nào")
    }

    /// The period may span 50 years; a daily rule then has 18 263 dates. Either the loader
    /// refuses the rule, or every date is expanded — never a silent cut at some limit.
    @Test func longDailyRuleIsNotSilentlyTruncated() async throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(dir) }
        let path = dir.appendingPathComponent("daily.yaml").path
        let text = try String(contentsOfFile: TestSupport.fixture("minimal.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "period: { start: 2025-01-01, end: 2030-12-31 }",
                                  with: "period: { start: 2000-01-01, end: 2049-12-31 }")
            .replacingOccurrences(of: "FREQ=YEARLY;BYMONTH=11;BYMONTHDAY=15", with: "FREQ=DAILY")
            .replacingOccurrences(of: "dtstart: 2025-11-15", with: "dtstart: 2000-01-01")
            .replacingOccurrences(of: "days: 31", with: "days: 1")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            let plan = try PlanLoader.load(path: path)
            let daily = try Schedule(plan: plan).occurrences().filter { $0.obligationID == "action-month" }
            #expect(daily.count == 18_263, "daily rule over 2000–2049 expanded to \(daily.count) dates")
            #expect(daily.last?.last == day(31, 12, 2049))
        } catch let error as PlanError {
            #expect(error.issues.first?.field?.hasPrefix("obligations[1].") == true, "\(error)")
        }
    }

    /// 50 calendar years are the most a period may cover: 2001–2050 loads, 2000–2050 does not.
    @Test func periodOfFiftyYearsAtMost() async throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(dir) }
        let text = try String(contentsOfFile: TestSupport.fixture("minimal.yaml"), encoding: .utf8)
        func write(_ start: Int, _ end: Int) throws -> String {
            let path = dir.appendingPathComponent("p\(start)-\(end).yaml").path
            try text.replacingOccurrences(of: "period: { start: 2025-01-01, end: 2030-12-31 }",
                                          with: "period: { start: \(start)-01-01, end: \(end)-12-31 }")
                .write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        #expect(try PlanLoader.load(path: try write(2001, 2050)).end == day(31, 12, 2050))
        Self.expectSingleIssue(try write(2000, 2050), line: 6, field: "plan.period.end", phrase: "tối đa 50 năm")
    }

    /// A broken header does not hide the problems of the units and targets below it, and a
    /// unit with a problem is still known by its id (no cascade of "unknown unit").
    @Test func headerProblemDoesNotHideLaterOnes() async throws {
        let text = try String(contentsOfFile: TestSupport.fixture("minimal.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "time_zone: Asia/Ho_Chi_Minh", with: "time_zone: Mars/Olympus")
            .replacingOccurrences(of: "    name: \"Công an phường\"\n", with: "")
            .replacingOccurrences(of: "  - id: G6.T3\n", with: "  - id: G6-T3\n")
        do {
            _ = try PlanLoader.parse(data: Data(text.utf8), file: "x.yaml")
            Issue.record("accepted")
        } catch let error as PlanError {
            let fields = error.issues.map { $0.field ?? "" }
            #expect(fields == ["plan.time_zone", "units[1].name", "targets[0].id"], "\(error)")
        }
    }

    /// `x-tasks` would be written to the same file as unit x's task feed.
    @Test func unitIDEndingInTasksIsRefused() async throws {
        let text = try String(contentsOfFile: TestSupport.fixture("minimal.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "  - id: cong-an\n", with: "  - id: vhxh-tasks\n")
        do {
            _ = try PlanLoader.parse(data: Data(text.utf8), file: "x.yaml")
            Issue.record("accepted")
        } catch let error as PlanError {
            #expect(error.issues.first?.field == "units[1].id", "\(error)")
            #expect(error.description.contains("-tasks"), "\(error)")
        }
    }

    @Test func unknownUnitAsOwner() async {
        Self.expectSingleIssue(Self.broken("unknown-owner.yaml"), line: 28, field: "obligations[0].owner",
                               phrase: "không có đơn vị \"vhx\"")
    }

    @Test func unknownUnitAsParticipant() async {
        Self.expectSingleIssue(Self.broken("unknown-participant.yaml"), line: 38, field: "obligations[1].participants",
                               phrase: "không có đơn vị \"police\"")
    }

    @Test func unknownTarget() async {
        Self.expectSingleIssue(Self.broken("unknown-target.yaml"), line: 29, field: "obligations[0].targets",
                               phrase: "không có chỉ tiêu \"G6.T9\"")
    }

    @Test func badRRule() async {
        Self.expectSingleIssue(Self.broken("bad-rrule.yaml"), line: 25, field: "obligations[0].rrule",
                               phrase: "không hợp lệ: libical không đọc được")
    }

    @Test func dtstartNotMatchingItsRule() async {
        Self.expectSingleIssue(Self.broken("dtstart-mismatch.yaml"), line: 26, field: "obligations[0].dtstart",
                               phrase: "2025-03-30 không khớp với quy tắc")
    }

    @Test func impossibleDate() async {
        Self.expectSingleIssue(Self.broken("impossible-date.yaml"), line: 26, field: "obligations[0].dtstart",
                               phrase: "\"2026-02-30\" không phải là ngày hợp lệ")
    }

    @Test func dtstartOutsideThePeriod() async {
        Self.expectSingleIssue(Self.broken("dtstart-outside-period.yaml"), line: 26, field: "obligations[0].dtstart",
                               phrase: "nằm ngoài thời gian của kế hoạch")
    }

    @Test func periodEndingBeforeItStarts() async {
        Self.expectSingleIssue(Self.broken("period-reversed.yaml"), line: 6, field: "plan.period.end",
                               phrase: "trước khi bắt đầu")
    }

    @Test func duplicateObligationId() async {
        Self.expectSingleIssue(Self.broken("duplicate-obligation.yaml"), line: 31, field: "obligations[1].id",
                               phrase: "mã nhiệm vụ \"quarterly-news\" bị trùng")
    }

    /// The second `cong-an` is units[2], on line 17 — as for a duplicate obligation id, the
    /// loader knows where it is.
    @Test func duplicateUnitId() async {
        Self.expectSingleIssue(Self.broken("duplicate-unit.yaml"), line: 17, field: "units[2].id",
                               phrase: "mã đơn vị \"cong-an\" bị trùng")
    }

    @Test func spanWithoutDays() async {
        Self.expectSingleIssue(Self.broken("span-without-days.yaml"), line: 31, field: "obligations[1].days",
                               phrase: "thiếu trường bắt buộc")
    }

    @Test func deadlineWithDays() async {
        Self.expectSingleIssue(Self.broken("deadline-with-days.yaml"), line: 25, field: "obligations[0].days",
                               phrase: "không có độ dài")
    }

    @Test func wrongKind() async {
        Self.expectSingleIssue(Self.broken("wrong-kind.yaml"), line: 24, field: "obligations[0].kind",
                               phrase: "cần deadline hoặc span, nhưng gặp \"event\"")
    }

    @Test func ownerAndForEachTogether() async {
        Self.expectSingleIssue(Self.broken("owner-and-for-each.yaml"), line: 28, field: "obligations[0].owner",
                               phrase: "chỉ ghi owner hoặc for_each")
    }

    @Test func emptyFile() async {
        Self.expectSingleIssue(Self.broken("empty.yaml"), line: nil, field: nil, phrase: "tệp rỗng")
    }

    @Test func fileWithOnlyAComment() async {
        Self.expectSingleIssue(Self.broken("comments-only.yaml"), line: nil, field: nil, phrase: "không có nội dung YAML")
    }

    @Test func binaryFile() async throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(dir) }
        let path = dir.appendingPathComponent("binary.yaml").path
        var bytes = Array("plan:\n  id: test\n".utf8)
        bytes += [0x00, 0xFF, 0x00, 0x01, 0x0A]
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        Self.expectSingleIssue(path, line: nil, field: nil, phrase: "không phải tệp văn bản")
    }

    @Test func invalidUTF8File() async throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(dir) }
        let path = dir.appendingPathComponent("latin1.yaml").path
        try Data(Array("plan:\n  title: \"".utf8) + [0xE0, 0x20, 0x22, 0x0A]).write(to: URL(fileURLWithPath: path))
        Self.expectSingleIssue(path, line: nil, field: nil, phrase: "UTF-8 không hợp lệ")
    }

    @Test func fileOverOneMebibyte() async throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(dir) }
        let path = dir.appendingPathComponent("huge.yaml").path
        let base = try String(contentsOfFile: TestSupport.fixture("minimal.yaml"), encoding: .utf8)
        let line = "# " + String(repeating: "x", count: 1021) + "\n"  // 1 KiB a line
        let text = base + String(repeating: line, count: 1024)  // > 1 MiB
        #expect(text.utf8.count > 1_048_576)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        Self.expectSingleIssue(path, line: nil, field: nil, phrase: "tệp kế hoạch tối đa 1048576 byte")
        // parse(data:) refuses it too.
        await #expect(throws: PlanError.self) { try await PlanLoader.parse(data: Data(text.utf8), file: "huge.yaml") }
    }

    @Test func fileOfExactlyOneMebibyteLoads() async throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(dir) }
        let path = dir.appendingPathComponent("limit.yaml").path
        var text = try String(contentsOfFile: TestSupport.fixture("minimal.yaml"), encoding: .utf8)
        let line = "# " + String(repeating: "x", count: 61) + "\n"  // 64 bytes
        while text.utf8.count + 64 <= 1_048_576 { text += line }
        let rest = 1_048_576 - text.utf8.count
        if rest >= 2 { text += "#" + String(repeating: "y", count: rest - 2) + "\n" } else if rest == 1 { text += "\n" }
        #expect(text.utf8.count == 1_048_576)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try PlanLoader.load(path: path).id == "test-ward")
    }

    @Test func nonHTTPPublicBaseURL() async {
        Self.expectSingleIssue(Self.broken("non-http-url.yaml"), line: 8, field: "plan.public_base_url",
                               phrase: "không phải là địa chỉ http(s)")
    }

    @Test func unknownTimeZone() async {
        Self.expectSingleIssue(Self.broken("unknown-time-zone.yaml"), line: 7, field: "plan.time_zone",
                               phrase: "\"Asia/Hai_Phong\" không phải là múi giờ IANA")
    }

    @Test func timeZoneWithDaylightSaving() async {
        Self.expectSingleIssue(Self.broken("dst-time-zone.yaml"), line: 7, field: "plan.time_zone",
                               phrase: "đổi độ lệch so với UTC")
    }

    /// A monthly rule with `key: year` gives twelve occurrences a year with one id. The issue
    /// should point at the key like every other issue does: `obligations[0].key`, line 27.
    @Test func keyGivingDuplicateOccurrenceIds() async {
        Self.expectSingleIssue(Self.broken("duplicate-occurrence-id.yaml"), line: 27, field: "obligations[0].key",
                               phrase: "cùng mã \"quarterly-news/2025\"")
    }

    @Test func badSessionTime() async {
        Self.expectSingleIssue(Self.broken("bad-session-time.yaml"), line: 44, field: "sessions[0].start",
                               phrase: "\"25:00\" không phải là giờ trong ngày")
    }

    @Test func sessionEndingBeforeItStarts() async {
        Self.expectSingleIssue(Self.broken("session-ends-before-start.yaml"), line: 45, field: "sessions[0].end",
                               phrase: "kết thúc trước khi bắt đầu")
    }

    @Test func missingFileAndDirectory() async {
        let missing = TestSupport.fixture("broken/does-not-exist.yaml")
        Self.expectSingleIssue(missing, line: nil, field: nil, phrase: "không có tệp này")
        let dir = TestSupport.fixture("broken")
        Self.expectSingleIssue(dir, line: nil, field: nil, phrase: "là một thư mục")
    }

    // MARK: - Several problems in one file

    @Test func independentProblemsAreAllReported() async throws {
        let path = Self.broken("two-bad-obligations.yaml")
        let error = try #require(Self.failure(path))
        #expect(error.issues.count == 2, "\(error)")
        guard error.issues.count == 2 else { return }
        Self.expect(error.issues[0], in: error, path: path, line: 28, field: "obligations[0].owner",
                    phrase: "không có đơn vị \"vhx\"")
        Self.expect(error.issues[1], in: error, path: path, line: 33, field: "obligations[1].kind",
                    phrase: "cần deadline hoặc span")
        // One line per issue in the description.
        #expect(error.description.split(separator: "\n").count == 2)
    }

    @Test func everyBrokenFixtureFails() async throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: TestSupport.fixture("broken"))
            .filter { $0.hasSuffix(".yaml") }
        #expect(names.count >= 25)
        for name in names {
            _ = Self.failure(Self.broken(name))
        }
    }
}
