import ZooData
import ZooPipeline
import ZooTensor

extension Pipeline {
    /// A batch's inputs in the pipeline's input shape (the data's sample shape, or the manifest's
    /// `input_shape` when it holds as many elements, e.g. 784 for 1×28×28 images).
    func shaped(_ inputs: Tensor) -> Tensor {
        guard let inputShape, Array(inputs.shape.dropFirst()) != inputShape else { return inputs }
        return Tensor(shape: [inputs.shape[0]] + inputShape, storage: inputs.storage)
    }

    /// Refuses a set (named `key` in the manifest) whose samples do not fit the augmentation or
    /// the pipeline's input shape.
    func checkInputs(_ dataset: Dataset, key: String) throws {
        if let augmentation = manifest.data?.augmentation {
            let shape = dataset.sampleShape
            guard shape.count == 3 else {
                throw TrainError("data.augmentation: needs image samples [C, H, W]; \(key) has samples of shape \(shape)", isUsage: true)
            }
            if let mean = augmentation.mean, mean.count != shape[0] {
                throw TrainError("data.augmentation.mean: \(mean.count) values for images of \(shape[0]) channel(s) in \(key)", isUsage: true)
            }
        }
        guard let inputShape else { return }
        guard dataset.sampleShape.reduce(1, *) == inputShape.reduce(1, *) else {
            throw TrainError("\(key): samples of shape \(dataset.sampleShape) do not fit data.input_shape \(inputShape)", isUsage: true)
        }
    }
}
