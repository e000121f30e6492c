import Foundation

/// The run folder's `metrics.jsonl` and `metrics.csv`: one line per epoch, appended as epochs end.
struct MetricsLog {
    let jsonl: URL
    let csv: URL
    /// Every epoch written so far.
    private(set) var history: [EpochMetrics] = []
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Starts both files afresh, or, when resuming after `keepThrough` epochs, keeps the lines of
    /// those epochs that the folder already holds and drops any later ones.
    init(folder: URL, keepThrough: Int? = nil) throws {
        jsonl = folder.appendingPathComponent("metrics.jsonl")
        csv = folder.appendingPathComponent("metrics.csv")
        if let keepThrough, let text = try? String(contentsOf: jsonl, encoding: .utf8) {
            history = text.split(separator: "\n").compactMap { try? JSONDecoder().decode(EpochMetrics.self, from: Data($0.utf8)) }
                .filter { $0.epoch <= keepThrough }
        }
        let lines = try history.map { String(decoding: try encoder.encode($0), as: UTF8.self) + "\n" }.joined()
        try Data(lines.utf8).write(to: jsonl, options: .atomic)
        let rows = ([EpochMetrics.csvHeader] + history.map(\.csvLine)).map { $0 + "\n" }.joined()
        try rows.write(to: csv, atomically: true, encoding: .utf8)
    }

    mutating func append(_ metrics: EpochMetrics) throws {
        try append(try encoder.encode(metrics) + Data("\n".utf8), to: jsonl)
        try append(Data((metrics.csvLine + "\n").utf8), to: csv)
        history.append(metrics)
    }

    private func append(_ data: Data, to url: URL) throws {
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
    }
}
