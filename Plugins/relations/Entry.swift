import ZooPluginKit

/// The built-in batch-relation modules: BatchFormer V1 and V2, and the identity for ablations.
@_cdecl("zoo_plugin_entry_v1")
public func zooPluginEntry(_ host: UnsafePointer<zoo_host_api>?, _ error: OpaquePointer?) -> UnsafePointer<zoo_plugin_info>? {
    ZooPlugin.export(name: "zoo-relations", version: "1.0.0",
                     modules: [BatchFormerV1.self, BatchFormerV2.self, IdentityRelation.self], host: host, error: error)
}
