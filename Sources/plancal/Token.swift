import ArgumentParser
import Foundation
import ICal
import PlanCore
import PlanStore

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quản lý mã truy cập của các đơn vị (dùng cho API và đăng nhập trang tổng quan).",
        discussion: "Chỉ lưu SHA-256 của mã: mã chỉ hiện một lần, khi tạo. Đơn vị chủ trì cũng cấp và thu hồi mã trên trang Quản trị của trang tổng quan (plancal serve).",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Tạo mã cho một đơn vị và in ra một lần.")

        @Option(name: .long, help: ArgumentHelp("Đơn vị được ghi nhận bằng mã này (mã của đơn vị chủ trì ghi được cho mọi đơn vị).", valueName: "id"))
        var unit: String

        @Option(name: .long, help: ArgumentHelp("Người giữ mã (họ tên), được ghi kèm mỗi ghi nhận (mặc định: mã đơn vị).", valueName: "text"))
        var label: String?

        @OptionGroup var planOptions: PlanOptions
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let plan = try planOptions.load()
            let planUnit = try planUnit(unit, in: plan), unitName = planUnit.name
            let label = (self.label ?? unit).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !label.isEmpty, label.count <= 200 else { throw CLIError("--label phải có từ 1 đến 200 ký tự") }
            guard Validation.isPrintableLine(label) else {
                throw CLIError("--label có ký tự điều khiển hoặc xuống dòng; hãy gõ lại trên một dòng")
            }
            let (secret, token) = try await store.open().tokens
                .create(plan: plan.id, unit: planUnit.id, label: label, now: UTCDateTime(Date()))
            print(secret)
            FileHandle.standardError.write(Data("Đã tạo mã truy cập số \(token.id) cho \(unitName), người giữ: \(label). Mã chỉ hiện một lần, ở dòng trên: hãy lưu lại ngay.\n".utf8))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Liệt kê các mã (không hiện phần bí mật).")

        @OptionGroup var planOptions: PlanOptions
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let plan = try planOptions.load()
            // Listing never creates the database.
            let tokens = try await store.openForReading()?.tokens.list(plan: plan.id) ?? []
            if tokens.isEmpty { print("Chưa có mã truy cập nào.") }
            for t in tokens {
                let offset = plan.utcOffsetSeconds
                let state = t.revokedAt.map { "đã thu hồi \(Vietnamese.dateTime($0, utcOffsetSeconds: offset))" } ?? "đang dùng"
                let unit = plan.unit(t.unit).map { "\($0.name) (\(t.unit))" } ?? t.unit.rawValue
                print("\(t.id)  \(unit)  người giữ: \(t.label)  tạo \(Vietnamese.dateTime(t.createdAt, utcOffsetSeconds: offset))  \(state)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Thu hồi một mã theo mã số.")

        @Argument(help: ArgumentHelp("Mã số của mã truy cập (xem plancal token list).", valueName: "id"))
        var id: String

        @OptionGroup var planOptions: PlanOptions
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let plan = try planOptions.load()
            // A database that does not exist has no token to revoke (and is not created).
            guard store.exists, try await store.open().tokens.revoke(id: id, plan: plan.id, now: UTCDateTime(Date())) else {
                throw CLIError("Không có mã truy cập \"\(id)\" đang dùng trong kế hoạch \(plan.id)")
            }
            print("Đã thu hồi mã \(id).")
        }
    }
}
