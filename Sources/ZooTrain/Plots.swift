import Foundation

/// SVG figures a browser opens: per-class accuracy against training count, and training curves.
public enum Plots {
    /// Per-class test accuracy as bars, classes ordered from most to fewest training samples,
    /// with the many-, medium- and few-shot groups shaded and each class's training count below.
    public static func perClassAccuracy(_ report: EvaluationReport, title: String = "Per-class accuracy") -> String {
        let order = report.trainingCounts.indices.sorted { report.trainingCounts[$0] > report.trainingCounts[$1] }
        let (width, height, left, top, bottom) = (Swift.max(360, 40 + 28 * order.count), 300, 50, 40, 60)
        let plotWidth = Double(width - left - 20), plotHeight = Double(height - top - bottom)
        let slot = plotWidth / Double(Swift.max(order.count, 1))
        var svg = header(width: width, height: height, title: title)
        let shades: [ShotGroup: String] = [.many: "#e8f0fe", .medium: "#fef7e0", .few: "#fce8e6"]
        for (position, label) in order.enumerated() {
            let group = report.thresholds.group(report.trainingCounts[label])
            let x = Double(left) + slot * Double(position)
            svg += rect(x: x, y: Double(top), width: slot, height: plotHeight, fill: shades[group]!)
            let accuracy = report.perClass[label] ?? 0
            let barHeight = plotHeight * accuracy
            svg += rect(x: x + slot * 0.15, y: Double(top) + plotHeight - barHeight, width: slot * 0.7, height: barHeight, fill: "#3367d6")
            svg += text(x: x + slot / 2, y: Double(height - bottom + 16), "\(label)", anchor: "middle")
            svg += text(x: x + slot / 2, y: Double(height - bottom + 30), "\(report.trainingCounts[label])", anchor: "middle", size: 9)
        }
        svg += axes(left: left, top: top, plotWidth: plotWidth, plotHeight: plotHeight, label: "accuracy")
        svg += text(x: Double(left) + plotWidth / 2, y: Double(height - 8),
                    "class (training samples); shaded: many (blue), medium (yellow), few (red)", anchor: "middle", size: 10)
        return svg + "</svg>\n"
    }

    /// Training loss per epoch (line) and test top-1 accuracy where evaluated (points).
    public static func trainingCurves(_ epochs: [EpochMetrics], title: String = "Training") -> String {
        let (width, height, left, top, bottom) = (480, 300, 50, 40, 40)
        let plotWidth = Double(width - left - 50), plotHeight = Double(height - top - bottom)
        var svg = header(width: width, height: height, title: title)
        let maximumLoss = Swift.max(epochs.map(\.loss).filter(\.isFinite).max() ?? 1, 1e-9)
        func x(_ epoch: Int) -> Double {
            Double(left) + plotWidth * (epochs.count <= 1 ? 0.5 : Double(epoch - 1) / Double(epochs.count - 1))
        }
        let points = epochs.map { "\(format(x($0.epoch))),\(format(Double(top) + plotHeight * (1 - $0.loss / maximumLoss)))" }
        svg += "<polyline fill=\"none\" stroke=\"#3367d6\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
        for epoch in epochs {
            guard let accuracy = epoch.testTop1 else { continue }
            svg += "<circle cx=\"\(format(x(epoch.epoch)))\" cy=\"\(format(Double(top) + plotHeight * (1 - accuracy)))\" r=\"4\" fill=\"#d93025\"/>\n"
        }
        svg += axes(left: left, top: top, plotWidth: plotWidth, plotHeight: plotHeight, label: "")
        svg += text(x: Double(left) + plotWidth / 2, y: Double(height - 10),
                    "epoch 1–\(epochs.count); line: training loss (max \(format(maximumLoss))), dots: test top-1", anchor: "middle", size: 10)
        return svg + "</svg>\n"
    }

    private static func header(width: Int, height: Int, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" "
            + "font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
            + text(x: Double(width) / 2, y: 22, title, anchor: "middle", size: 14)
    }

    private static func axes(left: Int, top: Int, plotWidth: Double, plotHeight: Double, label: String) -> String {
        var svg = "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(format(Double(top) + plotHeight))\" stroke=\"black\"/>\n"
        svg += "<line x1=\"\(left)\" y1=\"\(format(Double(top) + plotHeight))\" x2=\"\(format(Double(left) + plotWidth))\" "
            + "y2=\"\(format(Double(top) + plotHeight))\" stroke=\"black\"/>\n"
        for tick in stride(from: 0, through: 100, by: 25) {
            let y = Double(top) + plotHeight * (1 - Double(tick) / 100)
            svg += text(x: Double(left) - 6, y: y + 4, "\(tick)%", anchor: "end", size: 9)
        }
        if !label.isEmpty { svg += text(x: 12, y: Double(top) - 10, label, anchor: "start", size: 10) }
        return svg
    }

    private static func rect(x: Double, y: Double, width: Double, height: Double, fill: String) -> String {
        "<rect x=\"\(format(x))\" y=\"\(format(y))\" width=\"\(format(width))\" height=\"\(format(height))\" fill=\"\(fill)\"/>\n"
    }

    private static func text(x: Double, y: Double, _ content: String, anchor: String, size: Int = 11) -> String {
        let escaped = content.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        return "<text x=\"\(format(x))\" y=\"\(format(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\">\(escaped)</text>\n"
    }

    private static func format(_ value: Double) -> String { String(format: "%.1f", value) }
}
