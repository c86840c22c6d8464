import Archive
import Foundation
import Testing
import TestSupport

@Suite struct ZipArchiveTests {
    /// A one-entry zip archive built by hand, declaring whatever sizes it is told to.
    static func archive(name: String = "X-1m-2026-02.csv", method: UInt16 = 8, payload: [UInt8], crc: UInt32 = 0,
                        declaredSize: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        func le16(_ value: UInt16) { bytes += [UInt8(value & 0xFF), UInt8(value >> 8)] }
        func le32(_ value: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xFF)) } }
        let nameBytes = Array(name.utf8)
        le32(0x0403_4b50); le16(20); le16(0); le16(method); le16(0); le16(0)
        le32(crc); le32(UInt32(payload.count)); le32(declaredSize)
        le16(UInt16(nameBytes.count)); le16(0)
        bytes += nameBytes + payload
        let directory = bytes.count
        le32(0x0201_4b50); le16(20); le16(20); le16(0); le16(method); le16(0); le16(0)
        le32(crc); le32(UInt32(payload.count)); le32(declaredSize)
        le16(UInt16(nameBytes.count)); le16(0); le16(0); le16(0); le16(0); le32(0); le32(0)
        bytes += nameBytes
        let directorySize = bytes.count - directory
        le32(0x0605_4b50); le16(0); le16(0); le16(1); le16(1)
        le32(UInt32(directorySize)); le32(UInt32(directory)); le16(0)
        return bytes
    }

    /// Peak resident memory of this process so far, in bytes.
    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    /// 88 bytes that claim a 2 GiB entry: refused before anything near that is allocated.
    @Test func aSmallArchiveDeclaringTwoGiBThrowsWithoutAllocatingIt() throws {
        // An empty final deflate block: two bytes that inflate to nothing.
        let bytes = Self.archive(payload: [0x03, 0x00], declaredSize: 0x8000_0000)
        let zip = try ZipArchive(bytes: bytes)
        #expect(zip.entries.first?.uncompressedSize == 1 << 31)
        let before = Self.peakResidentBytes()
        let error = #expect(throws: ZipArchive.Failure.self) { try zip.extract(zip.entries[0]) }
        #expect(error?.description.contains("X-1m-2026-02.csv") == true)
        #expect(Self.peakResidentBytes() - before < 512 << 20, "extracting allocated the declared size")

        // Plausible for its compressed size (≤ 1032:1) yet false: still no more than is inflated.
        let plausible = Self.archive(payload: [0x03, 0x00] + [UInt8](repeating: 0, count: 1000), declaredSize: 1_000_000)
        let lying = try ZipArchive(bytes: plausible)
        #expect(throws: ZipArchive.Failure.self) { try lying.extract(lying.entries[0]) }
    }

    /// Real deflate data larger than the first reservation grows as it inflates; an entry
    /// whose data inflates to more than it declares is refused.
    @Test func outputGrowsAsItInflatesAndMayNotExceedTheDeclaredSize() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("zip-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("big.zip").path
        let size = 9_000_001
        let script = "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z: z.writestr('X-1m-2026-02.csv', b'0123456789' * 900000 + b'!')"
        try #require(try runCommand(["python3", "-c", script, path]).status == 0)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let zip = try ZipArchive(bytes: bytes)
        let output = try zip.extract(zip.entries[0])
        #expect(output.count == size)
        #expect(output.suffix(3) == Array("89!".utf8))

        // Declare 1 MB less in both headers: the data would overrun it.
        let entry = zip.entries[0]
        let smaller = UInt32(size - 1_000_000)
        let centralSize = bytes.indices.dropLast(3).first { bytes[$0] == 0x50 && bytes[$0 + 1] == 0x4b && bytes[$0 + 2] == 1 && bytes[$0 + 3] == 2 }! + 24
        for offset in [entry.localHeaderOffset + 22, centralSize] {
            for index in 0..<4 { bytes[offset + index] = UInt8((smaller >> UInt32(8 * index)) & 0xFF) }
        }
        let overrun = try ZipArchive(bytes: bytes)
        #expect(overrun.entries[0].uncompressedSize == Int(smaller))
        let error = #expect(throws: ZipArchive.Failure.self) { try overrun.extract(overrun.entries[0]) }
        #expect(error?.description.contains("does not inflate to \(smaller) bytes") == true)
    }

    @Test func aTruncatedDeflateStreamIsRefused() throws {
        // The first bytes of a real stream whose final block never comes.
        let zip = try ZipArchive(bytes: Self.archive(payload: [0x4b, 0x4c, 0x4a], declaredSize: 3))
        #expect(throws: ZipArchive.Failure.self) { try zip.extract(zip.entries[0]) }
    }
}
