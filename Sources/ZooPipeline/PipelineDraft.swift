import ZooManifest
import ZooPluginHost

/// Every stage of a manifest resolved, bound and created, with its shapes checked: what
/// `PipelineBuilder.prepare` gives and the last stage, **assemble**, turns into a `Pipeline`.
public struct PipelineDraft {
    /// The manifest with its plug-ins resolved (versions, files, hashes).
    let manifest: Manifest
    let backbone: CreatedStage
    let relations: [CreatedStage]
    let head: CreatedStage
    let losses: [CreatedStage]
    let inputShape: [Int]?
    let session: HostSession

    /// The runnable pipeline: each stage named, with its learning-rate multiplier and (for a loss)
    /// its weight, and the configurations as they were created recorded in the manifest.
    public func assemble() -> Pipeline {
        var manifest = manifest
        let model = manifest.model
        func multiplier(_ stage: String, own: Double = 1) -> Double {
            own != 1 ? own : manifest.optimizer.learningRateMultipliers[stage] ?? own
        }
        func stage(_ name: String, _ created: CreatedStage, multiplier: Double, weight: Double = 1) -> PipelineStage {
            PipelineStage(name: name, module: created.module, instance: created.instance, configuration: created.configuration,
                          learningRateMultiplier: multiplier, weight: weight)
        }
        manifest.model.backbone.config = ManifestNode(backbone.configuration)
        manifest.model.head.config = ManifestNode(head.configuration)
        for (i, created) in relations.enumerated() { manifest.model.relations[i].config = ManifestNode(created.configuration) }
        for (i, created) in losses.enumerated() { manifest.model.losses[i].config = ManifestNode(created.configuration) }
        return Pipeline(
            manifest: manifest,
            backbone: stage("backbone", backbone, multiplier: multiplier("backbone")),
            relations: relations.enumerated().map { i, created in
                stage("relations.\(i)", created, multiplier: multiplier("relations.\(i)", own: model.relations[i].learningRateMultiplier))
            },
            head: stage("head", head, multiplier: multiplier("head")),
            losses: losses.enumerated().map { i, created in
                stage("losses.\(i)", created, multiplier: multiplier("losses.\(i)"), weight: model.losses[i].weight)
            },
            inputShape: inputShape, host: session)
    }
}
