import ICal

/// Vietnamese wording shared by every view (CLI, feeds, dashboard).
public enum Vietnamese {
    /// Roman numerals for quarters, as Vietnamese documents write them (quý IV).
    public static func roman(_ n: Int) -> String {
        ["0", "I", "II", "III", "IV"][max(0, min(4, n))]
    }

    /// `hh:mm` from minutes after midnight.
    public static func time(_ minutes: Int) -> String {
        let h = minutes / 60, m = minutes % 60
        return (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
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
