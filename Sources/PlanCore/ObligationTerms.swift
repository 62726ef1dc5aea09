public import ICal

extension Obligation {
    /// `obligation.targets` and the rest of its terms.
    @inlinable public subscript<T>(dynamicMember keyPath: WritableKeyPath<ObligationTerms, T>) -> T {
        get { terms[keyPath: keyPath] }
        set { terms[keyPath: keyPath] = newValue }
    }
}

/// What an obligation says that each of its occurrences repeats.
public struct ObligationTerms: Sendable, Equatable {
    /// Targets served.
    public var targets: [TargetID]
    /// Where in the document it comes from, e.g. `II.2.6 chỉ tiêu 3`.
    public var section: String
    /// Why the date is what it is when the document does not give it; nil when the document dates it.
    public var assumption: String?
    /// Reminder days before the due day (the first day of a span, or of a session).
    public var reminderDays: [Int]
    /// Counts a completion may carry.
    public var counts: [CountKind]
    /// Bumped by hand when the obligation is edited, so subscribers see the change.
    public var revision: Int
    /// When the obligation was last edited (defaults to the plan's `revised`).
    public var revised: UTCDateTime

    public init(targets: [TargetID], section: String, assumption: String?, reminderDays: [Int], counts: [CountKind],
                revision: Int, revised: UTCDateTime) {
        (self.targets, self.section, self.assumption, self.reminderDays, self.counts, self.revision, self.revised) =
            (targets, section, assumption, reminderDays, counts, revision, revised)
    }
}
