/// A feed's subscribe addresses.
struct FeedLinks: Sendable, Equatable {
    var https: String
    var webcal: String
}
