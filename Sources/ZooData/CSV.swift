import Foundation

/// Comma-separated features with an integer label column, one sample per line; an optional
/// header line (detected when its cells are not numbers) is skipped.
public enum CSV {
    /// Reads `path`; `labelColumn` counts from 0 (negative counts from the end, default the last).
    public static func dataset(_ path: String, labelColumn: Int = -1) throws -> Dataset {
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError(file: path, "cannot read the file") }
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
        var features: [Float] = [], labels: [Int] = []
        var width: Int?
        for (index, line) in lines.enumerated() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if index == 0 && cells.contains(where: { Double($0) == nil }) { continue }   // a header
            let column = labelColumn < 0 ? cells.count + labelColumn : labelColumn
            guard column >= 0 && column < cells.count else {
                throw DataError(file: path, "line \(index + 1): label column \(labelColumn) is outside its \(cells.count) cells")
            }
            if let width, cells.count != width {
                throw DataError(file: path, "line \(index + 1): \(cells.count) cells, expected \(width) as on the first line")
            }
            width = cells.count
            guard let label = Int(cells[column]), label >= 0 else {
                throw DataError(file: path, "line \(index + 1): label \"\(cells[column])\" is not a non-negative integer")
            }
            for (position, cell) in cells.enumerated() where position != column {
                guard let value = Float(cell) else {
                    throw DataError(file: path, "line \(index + 1), column \(position + 1): \"\(cell)\" is not a number")
                }
                features.append(value)
            }
            labels.append(label)
        }
        guard let width, !labels.isEmpty else { throw DataError(file: path, "no samples") }
        guard width >= 2 else { throw DataError(file: path, "line 1: 1 cell, expected features and a label column") }
        return try Dataset.checked(values: .floats(features), sampleShape: [width - 1], labels: labels, file: path)
    }
}
