import Foundation
import ZooTensor

/// The order in which an epoch visits samples.
public enum Sampling: String, Sendable, Codable, CaseIterable {
    /// Every sample once, shuffled.
    case uniform
    /// Classes equally likely: each draw picks a class uniformly, then a sample of it.
    case classBalanced = "class-balanced"
    /// Class probability proportional to √n_c (between uniform and class-balanced).
    case squareRoot = "square-root"

    /// One epoch's sample indices (as many as the data set has), drawn with `generator`.
    public func epoch(labels: [Int], classCount: Int, generator: inout RandomGenerator) -> [Int] {
        var order = Array(labels.indices)
        switch self {
        case .uniform:
            order.shuffle(using: &generator)
            return order
        case .classBalanced, .squareRoot:
            var byClass = [[Int]](repeating: [], count: classCount)
            for (index, label) in labels.enumerated() { byClass[label].append(index) }
            let present = byClass.indices.filter { !byClass[$0].isEmpty }
            let weights = present.map { self == .classBalanced ? 1.0 : Double(byClass[$0].count).squareRoot() }
            let total = weights.reduce(0, +)
            var cumulative: [Double] = []
            var running = 0.0
            for weight in weights { running += weight / total; cumulative.append(running) }
            return labels.indices.map { _ in
                let draw = Double(generator.nextUniform())
                let slot = cumulative.firstIndex { draw < $0 } ?? (present.count - 1)
                let members = byClass[present[slot]]
                return members[Int(generator.next() % UInt64(members.count))]
            }
        }
    }
}
