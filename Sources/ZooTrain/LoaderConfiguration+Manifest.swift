import ZooData
import ZooManifest

extension LoaderConfiguration {
    /// How a manifest's training batches are made: the batch size, the seed, and the `data`
    /// section's sampler and augmentation; a last short batch is dropped unless it is the only one.
    public init(manifest: Manifest, trainCount: Int) {
        let training = manifest.training
        self.init(batchSize: training.batchSize, sampling: manifest.data.map { Sampling($0.sampler) } ?? .uniform,
                  augmentation: manifest.data?.augmentation.map(Augmentation.init),
                  dropLast: trainCount >= training.batchSize, seed: UInt64(truncatingIfNeeded: training.seed))
    }
}

extension Sampling {
    /// The manifest's sampler as ZooData draws it.
    public init(_ name: SamplerName) {
        switch name {
        case .uniform: self = .uniform
        case .classBalanced: self = .classBalanced
        case .squareRoot: self = .squareRoot
        }
    }
}

extension Augmentation {
    /// The manifest's augmentation as ZooData applies it.
    public init(_ spec: AugmentationSpec) {
        self.init(cropPadding: spec.cropPadding, horizontalFlip: spec.horizontalFlip,
                  mean: spec.mean?.map { Float($0) }, standardDeviation: spec.std?.map { Float($0) })
    }

    /// What evaluation applies of the manifest's augmentation: the normalisation alone, when it
    /// has one.
    public static func evaluation(_ spec: AugmentationSpec?) -> Augmentation? {
        guard let spec, spec.mean != nil else { return nil }
        return Augmentation(mean: spec.mean?.map { Float($0) }, standardDeviation: spec.std?.map { Float($0) })
    }
}
