import Foundation
import ICal
import PlanCore

/// The plan files a server knows: those named on the command line and every plan file found
/// below the plans folder; which of them are waiting to be loaded; the ones that did not load
/// (their problems, shown on the city page) and the ones that could not be read (the database
/// away, tried again at the next scan). It decides which file serves a plan id when two claim
/// it. A value the registry keeps and changes; its only I/O is listing the folder and `stat`.
struct PlanCatalog: Sendable {
    /// A plan file below the plans folder that could not be loaded.
    struct Problem: Sendable {
        var path: String
        var message: String
        /// The file's stamp when it failed: it is tried again once it changes.
        var file: FileStamp?
    }

    /// What became of a file's load.
    enum Settled {
        /// Serve this snapshot (its id was free, or this file wins it).
        case serve(PlanSnapshot)
        /// The file is not served: another file holds its plan id, or its plan is invalid (the
        /// problem is kept until the file changes).
        case skipped(invalid: (any Error)?)
        /// The file could not be read for another reason than its content (the database away).
        case unreadable(any Error)
    }

    /// Seconds between two scans of the plans folder (a new plan appears within this).
    static let rescanSeconds: TimeInterval = 2

    let plansDir: String?
    /// Files named on the command line (they win a clash of plan ids).
    private(set) var named: Set<String> = []
    /// Files found below the plans folder and not settled yet (waiting or loading).
    private(set) var queued: Set<String> = []
    private(set) var problems: [String: Problem] = [:]
    /// Files that could not be read for another reason than their content, with why, until they
    /// are read again.
    private(set) var unreadable: [String: any Error] = [:]
    private var lastScan: Date = .distantPast

    init(plansDir: String?) {
        self.plansDir = plansDir
    }

    /// Notes a file named on the command line.
    mutating func name(_ path: String) { named.insert(path) }

    /// True when the plans folder was last scanned `rescanSeconds` ago or more.
    var rescanDue: Bool {
        plansDir != nil && Date().timeIntervalSince(lastScan) >= PlanCatalog.rescanSeconds
    }

    /// Files below the plans folder that are new since the last scan (neither served, nor
    /// waiting, nor failed unchanged), now queued.
    mutating func scan(serving: Set<String>) -> [String] {
        guard let plansDir else { return [] }
        lastScan = Date()
        let found = PlanFiles.below(plansDir)
        // A file that could not be read and has gone since is no longer waited for.
        if !unreadable.isEmpty {
            let present = Set(found)
            unreadable = unreadable.filter { present.contains($0.key) }
        }
        var fresh: [String] = []
        for path in found where !serving.contains(path) && !queued.contains(path) {
            if let p = problems[path], p.file == FileStamp(path: path) { continue }
            fresh.append(path)
        }
        queued.formUnion(fresh)
        return fresh
    }

    /// Settles a queued file's load. A plan id already served from another file keeps the file
    /// named on the command line, else the first in path order (the same one whichever load ends
    /// first); the loser is reported. `served` gives the snapshot now served for a plan id.
    mutating func settle(_ path: String, _ result: Result<PlanSnapshot, any Error>,
                         served: (String) -> PlanSnapshot?) -> Settled {
        queued.remove(path)
        unreadable[path] = nil
        switch result {
        case .success(let snapshot):
            let id = snapshot.plan.id
            if let other = served(id), other.path != path {
                if named.contains(other.path) || other.path < path {
                    problems[path] = Problem(path: path, message: "mã kế hoạch \"\(id)\" trùng với \(other.path)", file: snapshot.file)
                    return .skipped(invalid: nil)
                }
                problems[other.path] = Problem(path: other.path, message: "mã kế hoạch \"\(id)\" trùng với \(path)", file: other.file)
            }
            problems[path] = nil
            return .serve(snapshot)
        case .failure(let error) where error is PlanError || error is ICalError:
            problems[path] = Problem(path: path, message: "\(error)", file: FileStamp(path: path))
            return .skipped(invalid: error)
        case .failure(let error):
            unreadable[path] = error
            return .unreadable(error)
        }
    }

    /// Queued files that may hold plan `id`, in path order.
    func waiting(for id: String) -> [String] {
        queued.filter { PlanCatalog.mayHold($0, id) }.sorted()
    }

    /// Why a plan not found may yet exist: the error of a file that could not be read (the file
    /// named after the plan's first); nil when every file was read.
    func unreadableError(for id: String) -> (any Error)? {
        unreadable.first(where: { PlanCatalog.mayHold($0.key, id) })?.value ?? unreadable.values.first
    }

    /// True when the file's name (other than `plan`, every ward's file in the usual layout) or
    /// its folder's is the plan id.
    static func mayHold(_ path: String, _ id: String) -> Bool {
        let p = path as NSString
        let stem = (p.lastPathComponent as NSString).deletingPathExtension
        return (stem == id && stem != "plan") || (p.deletingLastPathComponent as NSString).lastPathComponent == id
    }

    /// The problems, by path.
    var problemList: [Problem] { problems.values.sorted { $0.path < $1.path } }
}
