public import ICal

/// Vietnamese wording shared by every view (CLI, feeds, dashboard).
public enum Vietnamese {
    /// Roman numerals for quarters and for a document's sections, as Vietnamese documents write
    /// them (quý IV, mục VI); 1–39.
    public static func roman(_ n: Int) -> String {
        guard n > 0 else { return "0" }
        let tens = ["", "X", "XX", "XXX"][min(3, n / 10)]
        return tens + ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"][n % 10]
    }

    /// Where an item comes from in the document: "mục II.2.6 của <title>" for a numbered
    /// section, "phần kết của <title>" for a named part.
    public static func source(section: String, title: String) -> String {
        let numbered = section.first.map { "IVX".contains($0) } == true
            && section.drop(while: { "IVX".contains($0) }).first.map { !$0.isLetter } ?? true
        return (numbered ? "mục " : "") + section + " của " + title
    }

    /// `hh:mm` from minutes after midnight.
    public static func time(_ minutes: Int) -> String {
        let h = minutes / 60, m = minutes % 60
        return (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
    }

    /// The local day of an instant at a fixed UTC offset (the plan's time zone).
    public static func localDay(_ t: UTCDateTime, utcOffsetSeconds: Int) -> CivilDate {
        CivilDate(daysSinceEpoch: Int((Double(t.secondsSinceEpoch + utcOffsetSeconds) / 86_400).rounded(.down)))
    }

    /// An instant as local `dd/mm/yyyy hh:mm` at a fixed UTC offset (the plan's time zone).
    public static func dateTime(_ t: UTCDateTime, utcOffsetSeconds: Int) -> String {
        let local = t.secondsSinceEpoch + utcOffsetSeconds
        let day = Int((Double(local) / 86_400).rounded(.down))
        let minutes = (local - day * 86_400) / 60
        return "\(CivilDate(daysSinceEpoch: day).vietnamese) \(time(minutes))"
    }

    /// A share as a Vietnamese percentage, with a decimal comma: `87,5%`.
    public static func percent(_ value: Double) -> String {
        let tenths = Int((value * 1000).rounded())
        let whole = tenths / 10, frac = tenths % 10
        return frac == 0 ? "\(whole)%" : "\(whole),\(frac)%"
    }

    /// Thousands separated with dots, as Vietnamese writes numbers: `12.500`.
    public static func number(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(".") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }
}
