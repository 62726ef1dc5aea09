import Foundation
import ICal
@testable import PlanCore
import Testing

/// Issue 11: a plan's time zone must be an IANA Region/City zone with one UTC offset over the
/// period (it ends up in X-WR-TIMEZONE and a single fixed-offset VTIMEZONE).
@Suite struct PlanTimeZoneTests {
    @Test(arguments: ["GMT+7", "Etc/GMT-7", "Factory", "US/Eastern", "GMT", "UTC", "asia/ho_chi_minh",
                      "Asia/", "Asia//Ho_Chi_Minh", "Asia/Ho Chi Minh", "Mars/Olympus"])
    func zoneThatIsNotRegionCityIsRefused(name: String) throws {
        let issue = try #require(PlanLimitsTests.issue(PlanLimitsTests.minimal("time_zone: Asia/Ho_Chi_Minh", "time_zone: \"\(name)\"")))
        #expect(issue.field == "plan.time_zone", "\(issue)")
        #expect(issue.line == 7, "\(issue)")
        #expect(issue.message.contains("không phải là múi giờ IANA dạng Khu_vực/Thành_phố"), "\(issue.message)")
    }

    @Test func aliasIsRefusedNamingTheZone() throws {
        let issue = try #require(PlanLimitsTests.issue(PlanLimitsTests.minimal("time_zone: Asia/Ho_Chi_Minh", "time_zone: Asia/Saigon")))
        #expect(issue.field == "plan.time_zone")
        #expect(issue.message.contains("\"Asia/Saigon\" là tên cũ của múi giờ Asia/Ho_Chi_Minh"), "\(issue.message)")
    }

    /// Zones whose offset changes in the period, by daylight saving or otherwise: Pacific/Apia
    /// crossed the date line on 30/12/2011 (−10:00 to +14:00, both in daylight saving time);
    /// Asia/Pyongyang moved to +08:30 on 15/08/2015 and back on 05/05/2018, so a period
    /// 2014–2019 starts and ends at +09:00; America/Caracas moved on 01/05/2016.
    @Test(arguments: [
        ("Pacific/Apia", "2011-12-01", "2011-12-31", "từ -10:00 sang +14:00"),
        ("Pacific/Apia", "2011-01-01", "2011-12-31", "đổi độ lệch so với UTC"),
        ("Asia/Pyongyang", "2014-01-01", "2019-12-31", "từ +09:00 sang +08:30"),
        ("America/Caracas", "2016-01-01", "2016-12-31", "từ -04:30 sang -04:00"),
        ("Europe/Berlin", "2025-01-01", "2030-12-31", "từ +01:00 sang +02:00"),
    ])
    func zoneWhoseOffsetChangesIsRefused(name: String, start: String, end: String, phrase: String) throws {
        let text = PlanLimitsTests.minimal("time_zone: Asia/Ho_Chi_Minh", "time_zone: \(name)")
            .replacingOccurrences(of: "period: { start: 2025-01-01, end: 2030-12-31 }", with: "period: { start: \(start), end: \(end) }")
        do {
            _ = try PlanLoader.parse(data: Data(text.utf8), file: "plan.yaml")
            Issue.record("\(name) \(start)…\(end) accepted")
        } catch let error as PlanError {
            let issue = try #require(error.issues.first { $0.field == "plan.time_zone" }, "\(error)")
            #expect(issue.message.contains("đổi độ lệch so với UTC"), "\(issue.message)")
            #expect(issue.message.contains(phrase), "\(issue.message)")
        }
    }

    /// Region/City zones with one offset over 2025–2030 load, with that offset; Apia has kept
    /// +13:00 since it gave up daylight saving in 2021.
    @Test(arguments: [
        ("Asia/Ho_Chi_Minh", 25_200), ("Asia/Bangkok", 25_200), ("Asia/Kathmandu", 20_700),
        ("America/Argentina/Buenos_Aires", -10_800), ("Pacific/Apia", 46_800), ("Africa/Nairobi", 10_800),
    ])
    func fixedOffsetZoneLoads(name: String, offset: Int) throws {
        let plan = try PlanLoader.parse(data: Data(PlanLimitsTests.minimal("time_zone: Asia/Ho_Chi_Minh", "time_zone: \(name)").utf8),
                                        file: "plan.yaml")
        #expect(plan.timeZone == name)
        #expect(plan.utcOffsetSeconds == offset)
    }
}
