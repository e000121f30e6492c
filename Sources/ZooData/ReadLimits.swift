import Foundation

/// The checks every reader applies to a size, count, offset or shape it reads from a file, before
/// it allocates or indexes anything with it: arithmetic that reports overflow instead of trapping,
/// the file's real length, and a memory budget.
///
/// The budget is the most one array read from a file (or decompressed from it) may take:
/// `ZOO_MEMORY_BUDGET` in bytes (with an optional `K`, `M` or `G` suffix, powers of 1024), else the
/// machine's physical memory. A file asking for more is refused with what it asked for and the budget.
public enum ReadLimits {
    /// The budget in bytes.
    public static let memoryBudget: Int = budget(from: ProcessInfo.processInfo.environment["ZOO_MEMORY_BUDGET"])

    /// The largest class index + 1 a data file may use when the manifest does not say `num_classes`
    /// (a label such as 2^40 would otherwise size the per-class tables).
    public static let maximumClassCount = 1 << 24

    /// `text` as a budget (`"512M"`, `"8G"`, `"1048576"`), or the physical memory when absent or unreadable.
    static func budget(from text: String?) -> Int {
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return physical }
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        let unit = text.last.flatMap { units[Character($0.uppercased())] }
        guard let number = Int(unit == nil ? text : String(text.dropLast())), number > 0 else { return physical }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: unit ?? 1)
        return overflow ? Int.max : bytes
    }

    /// The number of elements of `shape`, refused when an extent is negative or the product overflows.
    public static func elementCount(_ shape: [Int], file: String, field: String) throws -> Int {
        if let negative = shape.first(where: { $0 < 0 }) {
            throw DataError(file: file, "\(field): extent \(negative) in shape \(shape) is negative")
        }
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw DataError(file: file, "\(field): shape \(shape) has more elements than can be counted") }
            count = product
        }
        return count
    }

    /// `count` elements of `elementSize` bytes, refused when the product overflows or exceeds the budget.
    public static func byteCount(_ count: Int, elementSize: Int, file: String, field: String) throws -> Int {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow else { throw DataError(file: file, "\(field): \(count) elements of \(elementSize) bytes overflow a byte count") }
        try withinBudget(bytes, file: file, field: field)
        return bytes
    }

    /// Refuses `bytes` above the budget.
    public static func withinBudget(_ bytes: Int, file: String, field: String) throws {
        guard bytes <= memoryBudget else {
            throw DataError(file: file, "\(field): \(describe(bytes)) asked for, more than the memory budget of "
                                + "\(describe(memoryBudget)) (set ZOO_MEMORY_BUDGET to change it)")
        }
    }

    /// `a + b`, refused on overflow.
    public static func sum(_ a: Int, _ b: Int, file: String, field: String) throws -> Int {
        let (total, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw DataError(file: file, "\(field): \(a) + \(b) overflows") }
        return total
    }

    /// Refuses a label outside `0..<classCount` (or, without one, outside `0..<maximumClassCount`),
    /// naming the sample.
    public static func checkLabels(_ labels: [Int], classCount: Int?, file: String) throws {
        let limit = classCount ?? maximumClassCount
        guard let index = labels.firstIndex(where: { $0 < 0 || $0 >= limit }) else { return }
        let expected = classCount.map { "0..<\($0)" } ?? "0..<\(limit) (the most classes a data file may use)"
        throw DataError(file: file, "sample \(index) has label \(labels[index]), expected a label in \(expected)")
    }

    /// `bytes` in the largest whole unit, e.g. `3.0 GiB (3221225472 bytes)`.
    static func describe(_ bytes: Int) -> String {
        let units = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        guard let (size, name) = units.first(where: { bytes >= $0.0 }) else { return "\(bytes) bytes" }
        return String(format: "%.1f", Double(bytes) / Double(size)) + " \(name) (\(bytes) bytes)"
    }
}
