import Foundation
import ZooNN
import ZooOptim
import ZooTensor

// A small two-stream BatchFormer training run on synthetic long-tailed data: 10 Gaussian classes in
// 32 dimensions with 400 down to 4 training samples per class. It prints the loss falling epoch by
// epoch and the test accuracy of the plain model (BatchFormer is not run at evaluation).
//
//   swift run -c release train-mlp

let classes = 10, dimensions = 32, seed: UInt64 = 42
var random = RandomGenerator(seed: seed)
let centers = Tensor.normal([classes, dimensions], standardDeviation: 0.4, generator: &random)

/// Samples `counts[c]` points around each class centre; returns features [N, D] and labels.
func sample(_ counts: [Int], _ random: inout RandomGenerator) -> (Tensor, [Int]) {
    var scalars: [Float] = [], labels: [Int] = []
    for (label, count) in counts.enumerated() {
        for _ in 0..<count {
            for d in 0..<dimensions { scalars.append(centers.scalars[label * dimensions + d] + random.nextNormal()) }
            labels.append(label)
        }
    }
    return (Tensor(shape: [labels.count, dimensions], scalars: scalars), labels)
}

// Exponential long-tail profile n_i = n_max · ratio^(−i/(C−1)) with n_max 400, ratio 100.
let trainCounts = (0..<classes).map { Int(400 * pow(100, -Double($0) / Double(classes - 1))) }
let (trainX, trainY) = sample(trainCounts, &random)
let (testX, testY) = sample([Int](repeating: 100, count: classes), &random)
print("training samples per class: \(trainCounts)")

let modules = RandomSource(seed: seed)
let model = TwoStreamClassifier(
    backbone: MLP(widths: [dimensions, 128, 128], activateLast: true, random: modules),
    relation: TransformerEncoderLayer(dModel: 128, heads: 4, feedForward: 128, dropout: 0.5, random: modules),
    head: Linear(128, classes, random: modules))
let backboneAndHead = model.backbone.parameters + model.head.parameters
let optimizer = SGD(groups: [ParameterGroup(parameters: backboneAndHead),
                             ParameterGroup(parameters: model.relation!.parameters, learningRateMultiplier: 0.1)],
                    learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4)
let epochs = 20, batch = 64
let schedule = LinearWarmup(steps: 1, startFactor: 0.2, then: CosineAnnealing(period: epochs - 1))

for epoch in 0..<epochs {
    optimizer.learningRate = schedule.learningRate(at: epoch, base: 0.05)
    var order = Array(0..<trainY.count)
    order.shuffle(using: &random)
    var total: Float = 0, batches = 0
    for start in stride(from: 0, to: order.count - batch + 1, by: batch) {
        let indices = Array(order[start..<(start + batch)])
        let (logits, labels) = model(trainX.indexSelect(alongAxis: 0, indices: indices), labels: indices.map { trainY[$0] })
        let loss = Tensor.crossEntropy(logits: logits, labels: labels)
        optimizer.zeroGradients()
        loss.backward()
        optimizer.step()
        total += loss.item
        batches += 1
    }
    print(String(format: "epoch %2d  lr %.4f  loss %.4f", epoch + 1, optimizer.learningRate, total / Float(batches)))
}

model.setTraining(false)
let predictions = withoutGradients { model(testX, labels: testY).logits.argmax(alongAxis: 1) }
var correct = [Int](repeating: 0, count: classes)
for (prediction, label) in zip(predictions, testY) where prediction == label { correct[label] += 1 }
print("test accuracy: \(String(format: "%.1f", Double(correct.reduce(0, +)) / Double(testY.count) * 100))%  "
      + "(per class, head to tail: \(correct.map { "\($0)%" }.joined(separator: " ")))")
