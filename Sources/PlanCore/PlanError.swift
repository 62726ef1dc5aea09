/// One problem found in a plan file, located as precisely as the input allows.
public struct PlanIssue: Sendable, Equatable, CustomStringConvertible {
    /// The file as given.
    public var file: String
    /// 1-based line, when known.
    public var line: Int?
    /// Path of the field, e.g. `obligations[2].rrule`.
    public var field: String?
    /// What is wrong and what was expected.
    public var message: String

    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        s += ": "
        if let field { s += "\(field): " }
        return s + message
    }
}

/// A plan file that cannot be used, with every problem found in it.
public struct PlanError: Error, Sendable, CustomStringConvertible {
    /// The problems, in file order where known.
    public var issues: [PlanIssue]

    /// An error with one problem.
    public init(file: String, line: Int? = nil, field: String? = nil, _ message: String) {
        issues = [PlanIssue(file: file, line: line, field: field, message: message)]
    }

    /// An error with several problems.
    public init(issues: [PlanIssue]) { self.issues = issues }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
