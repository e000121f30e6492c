import ZooPluginHost

/// A module created for one stage, with the configuration it was created from.
struct CreatedStage {
    let module: LoadedModule
    let instance: ModuleInstance
    /// Validated, with defaults and bound values filled.
    let configuration: JSONValue
}

/// The third stage, **create**: a bound configuration is validated against the module's schema
/// (defaults filled in) and the module is created from it. Problems go to `report` under the
/// manifest path of the stage (`model.head` → `model.head.config.…`).
enum StageFactory {
    /// With `creating` false the configuration is only validated (its problems still reported).
    static func create(_ module: LoadedModule, configuration: JSONValue, at path: String, session: HostSession, creating: Bool = true,
                       report: (_ path: String, _ message: String) -> Void) -> CreatedStage? {
        let validation = module.descriptor.configSchema.validate(configuration, prefix: "\(path).config")
        for problem in validation.problems { report(problem.path, problem.message) }
        guard validation.problems.isEmpty, creating else { return nil }
        do {
            let instance = try ModuleInstance(functions: module.descriptor.functions, name: module.descriptor.name,
                                              configuration: validation.config.jsonText,
                                              reentrant: module.descriptor.threading == .reentrant, owner: module.library,
                                              session: session)
            return CreatedStage(module: module, instance: instance, configuration: validation.config)
        } catch {
            report("\(path).config", "\(module.descriptor.name) refused the configuration: \(error)")
            return nil
        }
    }
}
