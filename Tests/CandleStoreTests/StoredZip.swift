import Foundation
import TestSupport

/// A zip archive with one uncompressed ("stored") entry, written by hand so the tests need no tool.
func storedZip(name: String, content: [UInt8]) -> [UInt8] {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in content {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    crc ^= 0xFFFF_FFFF
    var out: [UInt8] = []
    func u16(_ value: Int) { out += [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
    func u32(_ value: UInt32) { out += (0..<4).map { UInt8(value >> (8 * $0) & 0xFF) } }
    let nameBytes = Array(name.utf8)
    // Local file header, then the data.
    u32(0x0403_4B50); u16(20); u16(0); u16(0); u16(0); u16(0)
    u32(crc); u32(UInt32(content.count)); u32(UInt32(content.count)); u16(nameBytes.count); u16(0)
    out += nameBytes
    out += content
    let directoryOffset = out.count
    // Central directory entry.
    u32(0x0201_4B50); u16(20); u16(20); u16(0); u16(0); u16(0); u16(0)
    u32(crc); u32(UInt32(content.count)); u32(UInt32(content.count)); u16(nameBytes.count); u16(0); u16(0)
    u16(0); u16(0); u32(0); u32(0)
    out += nameBytes
    let directorySize = out.count - directoryOffset
    // End of central directory.
    u32(0x0605_4B50); u16(0); u16(0); u16(1); u16(1); u32(UInt32(directorySize)); u32(UInt32(directoryOffset)); u16(0)
    return out
}

/// A deflated zip of `file` made by python3's zipfile module.
func deflatedZip(of file: String, entryName: String, to zipPath: String) throws -> (status: Int32, output: String) {
    let script = "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as z: z.write(sys.argv[1], sys.argv[3])"
    return try runCommand(["python3", "-c", script, file, zipPath, entryName])
}
