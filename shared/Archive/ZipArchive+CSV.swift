import Foundation

extension ZipArchive {
    /// The content of the archive's only `.csv` entry: data.binance.vision ships every kline file
    /// as a zip holding exactly one CSV named like the zip (`BTCUSDT-1m-2026-02.zip` holds
    /// `BTCUSDT-1m-2026-02.csv`).
    /// - Throws: `Failure` when the archive holds no `.csv` entry or more than one, or the entry
    ///   cannot be extracted.
    public func onlyCSV() throws(Failure) -> [UInt8] {
        let csvs = entries.filter { $0.name.lowercased().hasSuffix(".csv") }
        guard csvs.count == 1 else {
            throw Failure(csvs.isEmpty ? "the zip holds no .csv entry" : "expected one .csv entry, found \(csvs.count)")
        }
        return try extract(csvs[0])
    }

    /// The CSV bytes of a data.binance.vision file at `path`: a `.zip` through its only `.csv`
    /// entry (see `onlyCSV()`), any other file as it is.
    /// - Throws: `Failure` when the file cannot be read, or a `.zip` is corrupt or not one CSV.
    public static func csvBytes(atPath path: String) throws(Failure) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure("the file does not exist or cannot be read")
        }
        guard path.lowercased().hasSuffix(".zip") else { return [UInt8](data) }
        return try ZipArchive(bytes: [UInt8](data)).onlyCSV()
    }
}
