extension ICalComponent {
    /// A VTIMEZONE for a zone with one fixed offset and no daylight saving, built
    /// with libical's component API.
    ///
    /// libical's built-in zones carry a `/freeassociation.sourceforge.net/` TZID
    /// prefix and history back to 1906; for Asia/Ho_Chi_Minh, fixed at +07:00 since
    /// 1975, a single STANDARD observance is both correct and what clients expect.
    public static func fixedOffsetTimeZone(tzid: String, offsetSeconds: Int, abbreviation: String) throws -> ICalComponent {
        let zone = try ICalComponent(.timeZone)
        try zone.add(.timeZoneID(tzid))
        let standard = try ICalComponent(.standard)
        // RFC 5545 §3.6.5: an observance's DTSTART is a local (floating) time.
        try standard.add([
            .start(.local(CivilDate(year: 1970, month: 1, day: 1)!, hour: 0, minute: 0, tzid: nil)),
            .offsetFrom(seconds: offsetSeconds),
            .offsetTo(seconds: offsetSeconds),
            .timeZoneName(abbreviation),
        ])
        zone.add(standard)
        return zone
    }
}
