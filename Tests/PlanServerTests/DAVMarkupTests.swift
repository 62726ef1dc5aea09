import Foundation
import Testing

@testable import PlanDAV

/// What reaches FoundationXML's parser: markup it traps on is refused before it.
@Suite("WebDAV request bodies before the XML parser")
struct DAVMarkupTests {
    @Test("a broken XML declaration whose '?>' closes a later instruction is refused, not parsed (the dav fuzzer's crash)")
    func brokenDeclaration() {
        // FoundationXML dereferences a processing instruction's missing data: this body crashed
        // the process before the check looked inside the declaration.
        let bodies = [
            "<?xml version=\"1.0\"? \r\n text\r\n<?xml?><D:sync-collection xmlns:D=\"DAV:\"/>",
            "<?xml version=\"1.0\" <D:propfind xmlns:D=\"DAV:\"><D:allprop/></D:propfind><?x?>",
            "<?xml version=\"1.0\"><D:propfind xmlns:D=\"DAV:\"/>?>",
        ]
        for body in bodies {
            #expect(throws: DAVRequestError.unsupportedMarkup) { try DAVElement.parse(Data(body.utf8)) }
        }
    }

    @Test("the fuzzer's crashing inputs, kept as its seeds, are refused before the parser")
    func fuzzCrashes() throws {
        let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/dav-seeds")
        let crashes = try FileManager.default.contentsOfDirectory(atPath: seeds.path).filter { $0.hasPrefix("crash-") }.sorted()
        #expect(crashes.count >= 3)
        for name in crashes {
            let data = try Data(contentsOf: seeds.appendingPathComponent(name))
            #expect(throws: DAVRequestError.self, "\(name)") { try DAVElement.parse(data) }
        }
    }

    @Test("a well-formed declaration still parses, with or without encoding and standalone")
    func goodDeclaration() throws {
        for declaration in ["<?xml version=\"1.0\"?>", "<?xml version=\"1.0\" encoding=\"utf-8\"?>",
                            "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>", ""] {
            let root = try DAVElement.parse(Data("\(declaration)\n<D:propfind xmlns:D=\"DAV:\"><D:allprop/></D:propfind>".utf8))
            #expect(root.name == DAVName("DAV:", "propfind"))
            #expect(root.children.map(\.name) == [DAVName("DAV:", "allprop")])
        }
    }
}
