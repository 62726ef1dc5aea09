/// An administrative report laid out as Vietnamese offices write it (Decree 30/2020/NĐ-CP,
/// appendix I): the issuer and the national motto side by side, the place and date, the title,
/// numbered sections with tables, "Nơi nhận" and the signature block. One layout, rendered to
/// .docx (PlanDocuments), to HTML (the dashboard) and to plain text (the golden tests).
public struct ReportDocument: Sendable, Equatable {
    /// A table with a header row; every cell is text.
    public struct Table: Sendable, Equatable {
        public var columns: [String]
        /// Relative column widths (same count as `columns`).
        public var widths: [Int]
        public var rows: [[String]]

        public init(columns: [String], widths: [Int], rows: [[String]]) {
            self.columns = columns
            self.widths = widths
            self.rows = rows
        }
    }

    /// What a section holds, in order.
    public enum Block: Sendable, Equatable {
        /// A numbered sub-heading: `1. Kết quả …`.
        case heading(String)
        case paragraph(String)
        /// A dash item ("- …").
        case item(String)
        case table(Table)
        /// Left for people to write: a dotted line.
        case blank
    }

    /// A section with a Roman number: `I. KẾT QUẢ THỰC HIỆN`.
    public struct Section: Sendable, Equatable {
        /// `I`, `II`, …
        public var number: String
        public var title: String
        public var blocks: [Block]
        /// An id for HTML anchors and tests, e.g. `results`.
        public var id: String

        public init(number: String, title: String, blocks: [Block], id: String) {
            self.number = number
            self.title = title
            self.blocks = blocks
            self.id = id
        }
    }

    /// The line above the issuer (the superior body, not bold), e.g. `UBND PHƯỜNG BẠCH ĐẰNG`.
    public var superior: String?
    /// The issuer in capitals, bold: `PHÒNG VĂN HÓA - XÃ HỘI`.
    public var issuer: String
    /// `Số: …/BC-UBND`.
    public var number: String
    /// `Bạch Đằng, ngày … tháng … năm 2026`.
    public var placeDate: String
    public var title: String
    public var subtitle: String
    /// `Kính gửi: …`, when the report names its recipient.
    public var recipient: String?
    public var intro: [String]
    public var sections: [Section]
    /// The "Nơi nhận" lines.
    public var recipients: [String]
    /// The signature block's bold lines, e.g. `TM. ỦY BAN NHÂN DÂN`, `CHỦ TỊCH`.
    public var signature: [String]
    /// The italic line under it.
    public var signatureNote: String
    /// The file's name without extension (ASCII), e.g. `bao-cao-nam-2026-bach-dang`.
    public var fileStem: String

    /// A document; `ReportDocument` values usually come from `UnitAnnualReport.document(plan:)`
    /// and `WardAnnualReport.document(plan:)`.
    public init(superior: String?, issuer: String, number: String, placeDate: String, title: String, subtitle: String,
                recipient: String?, intro: [String], sections: [Section], recipients: [String], signature: [String],
                signatureNote: String, fileStem: String) {
        self.superior = superior
        self.issuer = issuer
        self.number = number
        self.placeDate = placeDate
        self.title = title
        self.subtitle = subtitle
        self.recipient = recipient
        self.intro = intro
        self.sections = sections
        self.recipients = recipients
        self.signature = signature
        self.signatureNote = signatureNote
        self.fileStem = fileStem
    }

    /// The motto block (Decree 30/2020/NĐ-CP, appendix I).
    public static let nation = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    public static let motto = "Độc lập - Tự do - Hạnh phúc"
    public static let recipientsLabel = "Nơi nhận:"

    /// A normalised text rendering: one line per paragraph, tables as ` | `-separated rows.
    public var plainText: String {
        var out: [String] = []
        if let superior { out.append(superior) }
        out += [issuer, number, Self.nation, Self.motto, placeDate, "", title, subtitle]
        if let recipient { out.append(recipient) }
        out += intro
        for s in sections {
            out += ["", "\(s.number). \(s.title)"]
            for b in s.blocks {
                switch b {
                case let .heading(t), let .paragraph(t): out.append(t)
                case let .item(t): out.append("- \(t)")
                case .blank: out.append("…")
                case let .table(t):
                    out.append(t.columns.joined(separator: " | "))
                    out += t.rows.map { $0.joined(separator: " | ") }
                }
            }
        }
        out += ["", Self.recipientsLabel] + recipients + [""] + signature + [signatureNote]
        return out.joined(separator: "\n") + "\n"
    }
}
