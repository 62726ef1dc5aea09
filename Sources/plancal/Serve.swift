import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import Logging
import PlanServer
import PlanCore
import PlanStore
import PlanStorePostgres
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    /// How long a SIGTERM waits for open requests before the connections are cancelled.
    static let shutdownGraceSeconds: Int64 = 5

    static let configuration = CommandConfiguration(
        abstract: "Phục vụ lịch, trang tổng quan và API qua HTTP.",
        discussion: """
            Lịch: /calendars/<kế hoạch>/<đơn vị>.ics (và -tasks.ics, all.ics). Trang tổng quan: /plans/<kế hoạch> (việc cần làm, chỉ tiêu Mục tiêu 6); trang đơn vị /plans/<kế hoạch>/units/<đơn vị> (việc cần làm, ghi nhận tin, bài, buổi tuyên truyền, tập huấn, vướng mắc; lịch sử và CSV); báo cáo /plans/<kế hoạch>/report (in được); trang Quản trị /plans/<kế hoạch>/admin cho đơn vị chủ trì (cấp, thu hồi mã truy cập). Mọi thao tác ghi trên trình duyệt cần đăng nhập bằng mã của đơn vị. API: GET /api/<kế hoạch>/compliance (JSON; .csv cho CSV), POST /api/<kế hoạch>/completions và /api/<kế hoạch>/undo với Authorization: Bearer <mã> (xem plancal token). Lặp lại --plan để phục vụ nhiều kế hoạch, hoặc --plans-dir cho cả thành phố (trang / tổng hợp các phường; GET /api/city.json, /api/city.csv). CalDAV cho ứng dụng công việc (Thunderbird, DAVx⁵ với Tasks.org hoặc jtx Board, Lời nhắc trên iPhone): địa chỉ /dav/ (hoặc /.well-known/caldav), tên đăng nhập là mã đơn vị (hoặc <kế hoạch>/<đơn vị>), mật khẩu là mã truy cập của đơn vị; đánh dấu hoàn thành một công việc trong ứng dụng là ghi nhận hoàn thành của đơn vị, bỏ đánh dấu là hủy. GET /health trả lời khi máy chủ đang chạy; GET /ready trả 503 cho tới khi mọi tệp kế hoạch tìm thấy đã được đọc (dành cho bộ cân bằng tải). Dừng gọn gàng khi nhận SIGINT hoặc SIGTERM (chờ các yêu cầu đang dở tối đa 5 giây rồi đóng kết nối).
            """)

    @Option(name: .long, help: "Địa chỉ lắng nghe.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "Cổng lắng nghe.")
    var port = 8080

    @Option(name: .long, help: ArgumentHelp("Tệp kế hoạch (có thể lặp lại để phục vụ nhiều kế hoạch; mặc định: kế hoạch kèm theo).", valueName: "path"))
    var plan: [String] = []

    @Option(name: .long, help: ArgumentHelp("Thư mục chứa kế hoạch của nhiều phường, xã: phục vụ mọi tệp .yaml bên dưới, nhận kế hoạch mới không cần khởi động lại; trang / là trang tổng hợp. Máy chủ trả lời ngay khi khởi động: các kế hoạch được nạp dần ở nền, kế hoạch được hỏi đến được nạp trước; GET /ready trả 200 khi đã nạp xong.", valueName: "dir"))
    var plansDir: String?

    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: ArgumentHelp("Với PostgreSQL: số kết nối tối đa của tiến trình này tới cơ sở dữ liệu.", valueName: "n"))
    var dbPool = 10

    @Option(name: .long, help: ArgumentHelp("Địa chỉ công khai cho các liên kết đăng ký lịch và đường dẫn đăng nhập (mặc định: public_base_url của kế hoạch, nếu không có thì địa chỉ lắng nghe).", valueName: "url"))
    var baseURL: String?

    @Option(name: .long, help: ArgumentHelp("Coi ngày này là hôm nay (để trình diễn và kiểm thử).", valueName: "date"))
    var today: String?

    @Option(name: .long, help: ArgumentHelp("Số giây trước khi đóng một kết nối không hoạt động.", valueName: "seconds"))
    var idleTimeout = 30

    @Option(name: .long, help: ArgumentHelp("Số kết nối mở cùng lúc tối đa; kết nối mới chờ trong hàng đợi khi đã đủ.", valueName: "n"))
    var maxConnections = 4096

    @Option(name: .long, help: ArgumentHelp("Dung lượng bộ nhớ tối đa (MB) giữ các lịch đã tạo; lịch ít được tải nhất được tạo lại khi cần.", valueName: "MB"))
    var feedCacheMb = 128

    @Option(name: .long, help: "Mức ghi nhật ký (trace, debug, info, notice, warning, error). debug ghi từng yêu cầu, trace ghi cả các header; mã truy cập và header Authorization, Cookie luôn được che ([ẩn]).")
    var logLevel = "info"

    /// Checks the options; errors are plancal's own (Vietnamese, "Lỗi:", exit 1) like every command's.
    func check() throws {
        guard (0...65535).contains(port) else { throw CLIError("--port phải từ 0 đến 65535 (nhận được \(port))") }
        guard (1...1000).contains(dbPool) else { throw CLIError("--db-pool phải từ 1 đến 1000 (nhận được \(dbPool))") }
        guard (16...1_000_000).contains(maxConnections) else { throw CLIError("--max-connections phải từ 16 đến 1000000 (nhận được \(maxConnections))") }
        guard (1...65536).contains(feedCacheMb) else { throw CLIError("--feed-cache-mb phải từ 1 đến 65536 (nhận được \(feedCacheMb))") }
        guard (1...3600).contains(idleTimeout) else { throw CLIError("--idle-timeout phải từ 1 đến 3600 giây (nhận được \(idleTimeout))") }
        if let baseURL, !(baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://")) || URL(string: baseURL)?.host == nil {
            throw CLIError("--base-url: \"\(baseURL)\" không phải là địa chỉ http(s) đầy đủ, ví dụ https://lich.example.vn")
        }
        if let today, parseDateOrNil(today) == nil {
            throw CLIError("--today: \"\(today)\" không phải là ngày hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd)")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw CLIError("--log-level: không có mức \"\(logLevel)\" (trace, debug, info, notice, warning, error)")
        }
    }

    func run() async throws {
        try check()
        #if canImport(Glibc)
        // Feed bodies are a few hundred kilobytes each, made and dropped as the cache turns over.
        // Mapping each on its own (glibc's 128 KiB threshold) cost a page fault per page on every
        // body put together: under the 114-ward random mix, 4 MiB (bodies come from the heap)
        // and keeping up to 64 MiB free at the heap's top served 18 % more requests in
        // interleaved runs, for 12 MB more RSS with every feed of the city fetched (178 MB
        // against 166). Two arenas keep the heaps few. mallopt is not in Swift's Glibc module:
        // M_TRIM_THRESHOLD is -1, M_MMAP_THRESHOLD -3, M_ARENA_MAX -8.
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
            let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
            _ = mallopt(-3, 4 << 20)
            _ = mallopt(-1, 64 << 20)
            _ = mallopt(-8, 2)
        }
        #endif
        var logger = Logger(label: "plancal")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        if let plansDir {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: plansDir, isDirectory: &isDir), isDir.boolValue else {
                throw CLIError("--plans-dir: không có thư mục \(plansDir)")
            }
        }
        let repositories: Repositories
        var postgres: PlanStorePostgres.PostgresDatabase?
        if store.isPostgres {
            // Several instances on one PostgreSQL: records, tokens, sessions and the fetch log
            // are shared, so any instance serves any request.
            var pgLogger = logger
            pgLogger.logLevel = max(logger.logLevel, .warning)
            do {
                let database = try await PlanStorePostgres.PostgresDatabase.open(url: store.path, poolSize: dbPool, logger: pgLogger)
                postgres = database
                repositories = database.repositories
            } catch let e as PostgresURLError {
                throw CLIError("--db: \(e.description)")
            } catch let e as StorageError {
                throw CLIError(e.description)
            }
        } else {
            // A database this process may not write is served read-only: feeds and pages work,
            // writes answer 503.
            let dir = URL(fileURLWithPath: store.path).deletingLastPathComponent().path
            let readOnly = store.exists && !(FileManager.default.isWritableFile(atPath: store.path)
                                             && FileManager.default.isWritableFile(atPath: dir))
            do { repositories = try AppDatabase(path: store.path, readOnly: readOnly).repositories } catch {
                throw CLIError("\(error)")
            }
            if readOnly {
                logger.warning("the database is read-only: serving feeds and pages, writes are off", metadata: ["db": "\(store.path)"])
            }
        }
        let arguments = ServerArguments(
            host: host, port: port,
            planPaths: plan.isEmpty && plansDir == nil ? ["calendars/bach-dang/plan.yaml"] : plan, plansDir: plansDir,
            baseURL: baseURL, today: today.flatMap(parseDateOrNil), secureCookies: baseURL?.hasPrefix("https://") ?? false,
            idleTimeoutSeconds: idleTimeout, maxConnections: maxConnections, feedCacheBytes: feedCacheMb << 20)
        let app: any ApplicationProtocol
        do { app = try await buildApplication(arguments, repositories: repositories, logger: logger) } catch {
            throw CLIError("\(error)")
        }
        logger.info("plancal serving", metadata: ["address": "http://\(host):\(port)",
                                                  "db": "\(store.isPostgres ? "PostgreSQL" : store.path)"])
        do {
            // Hummingbird's runService waits for every connection to end: a client that keeps
            // a connection busy (pipelined requests it never reads) would hold the process past
            // SIGTERM. Past the grace period, the connections are cancelled.
            var group = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            group.maximumGracefulShutdownDuration = .seconds(Serve.shutdownGraceSeconds)
            group.maximumCancellationDuration = .seconds(2)
            do { try await ServiceGroup(configuration: group).run() } catch is CancellationError {}
            await postgres?.shutdown()
        } catch {
            await postgres?.shutdown()
            let text = "\(error)"
            if text.contains("Address already in use") {
                throw CLIError("Không thể lắng nghe tại \(host):\(port): cổng đang được một chương trình khác dùng (chọn cổng khác bằng --port)")
            }
            if text.contains("Permission denied") {
                throw CLIError("Không thể lắng nghe tại \(host):\(port): không có quyền (cổng dưới 1024 cần quyền quản trị; chọn cổng khác bằng --port)")
            }
            if text.contains("UnknownHost") || text.contains("Name or service not known") {
                throw CLIError("Không thể lắng nghe tại \(host):\(port): không có địa chỉ \"\(host)\" trên máy này (--host)")
            }
            if text.contains("bind") || text.contains("Cannot assign") || text.contains("resolve") {
                throw CLIError("Không thể lắng nghe tại \(host):\(port): \(text)")
            }
            throw CLIError("Máy chủ dừng vì lỗi: \(text)")
        }
    }
}
