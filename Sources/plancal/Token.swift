import ArgumentParser
import Foundation
import ICal
import PlanCore
import PlanStore

struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the tokens units write with (API and dashboard sign-in).",
        discussion: "Only a token's SHA-256 is stored: the token itself is shown once, at creation.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token for a unit and print it once.")

        @Option(name: .long, help: ArgumentHelp("The unit the token writes for (the lead unit's may write for any).", valueName: "id"))
        var unit: String

        @Option(name: .long, help: ArgumentHelp("Who holds it, recorded with each write (default: the unit id).", valueName: "text"))
        var label: String?

        @OptionGroup var planOptions: PlanOptions
        @OptionGroup var store: StoreOptions

        func run() throws {
            let plan = try planOptions.load()
            guard plan.unit(unit) != nil else { throw CLIError(unknownUnit(unit, plan)) }
            let label = (self.label ?? unit).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !label.isEmpty, label.count <= 200 else { throw CLIError("--label phải có từ 1 đến 200 ký tự") }
            let (secret, token) = try UnitTokens(try AppDatabase(path: store.path))
                .create(plan: plan.id, unit: unit, label: label, now: UTCDateTime(Date()))
            print(secret)
            FileHandle.standardError.write(Data("Mã \(token.id) cho \(plan.unit(unit)!.name) (\(label)). Mã chỉ hiện một lần: hãy lưu lại.\n".utf8))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (without their secrets).")

        @OptionGroup var planOptions: PlanOptions
        @OptionGroup var store: StoreOptions

        func run() throws {
            let plan = try planOptions.load()
            let tokens = try UnitTokens(try AppDatabase(path: store.path)).list(plan: plan.id)
            if tokens.isEmpty { print("Chưa có mã truy cập nào.") }
            for t in tokens {
                let state = t.revokedAt.map { "đã thu hồi \($0.iso)" } ?? "đang dùng"
                print("\(t.id)  \(t.unit)  \(t.label)  tạo \(t.createdAt.iso)  \(state)")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its id.")

        @Argument(help: ArgumentHelp("The token id (shown by plancal token list).", valueName: "id"))
        var id: String

        @OptionGroup var planOptions: PlanOptions
        @OptionGroup var store: StoreOptions

        func run() throws {
            let plan = try planOptions.load()
            guard try UnitTokens(try AppDatabase(path: store.path)).revoke(id: id, plan: plan.id, now: UTCDateTime(Date())) else {
                throw CLIError("Không có mã truy cập \"\(id)\" đang dùng trong kế hoạch \(plan.id)")
            }
            print("Đã thu hồi mã \(id).")
        }
    }
}
