import ZooValue
extension ModuleInstance {
    /// Creates a module of a loaded plug-in from its configuration (validated against the
    /// descriptor's schema, defaults filled); the module keeps its library loaded.
    public convenience init(_ descriptor: ModuleDescriptor, configuration: JSONValue, library: PluginLibrary) throws {
        let json = try descriptor.validatedConfigJSON(configuration)
        try self.init(functions: descriptor.functions, name: descriptor.name, configuration: json,
                      reentrant: descriptor.threading == .reentrant, owner: library)
    }
}
