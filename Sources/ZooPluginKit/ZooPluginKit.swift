// ZooPluginKit: the Swift SDK for writing Zoo plug-ins.
//
// An author conforms a class to a role protocol (`Backbone`, `Head`, `Loss`, `BatchRelation`, or
// the general `PluginModule`) and exports the library with one declaration:
//
//     import ZooPluginKit
//
//     final class ScaledHead: Layer, Head {
//         struct Configuration: PluginConfiguration {                        // each key once
//             @Key("in_dim", minimum: 1, "feature width D", from: .inputFeatures) var features: Int
//             @Key("num_classes", minimum: 1, "classes C", from: .dataNumClasses) var classes: Int
//         }
//         static let name = "scaled-head"
//         static let summary = "a linear classifier"
//         let fc: Linear
//         init(configuration: Configuration, host: PluginHost) throws {
//             fc = Linear(configuration.features, configuration.classes, random: RandomSource(seed: host.seed))
//         }
//         override var namedChildren: [(String, Module)] { [("fc", fc)] }         // parameters "fc.weight", "fc.bias"
//         override func forward(_ input: Tensor) -> Tensor { fc(input) }
//         func outputShape(for input: [Int]) throws -> [Int] {                  // checked before every forward
//             guard input.count == 2, input[1] == fc.weight.shape[1] else {
//                 throw PluginError.shape("scaled-head: expected [B, \(fc.weight.shape[1])], got \(input)")
//             }
//             return [input[0], fc.weight.shape[0]]
//         }
//     }
//
//     @_cdecl("zoo_plugin_entry_v1")
//     public func zooPluginEntry(_ host: UnsafePointer<zoo_host_api>?, _ error: OpaquePointer?)
//         -> UnsafePointer<zoo_plugin_info>? {
//         ZooPlugin.export(name: "my-plugin", version: "1.0.0", modules: [ScaledHead.self], host: host, error: error)
//     }
//
// The kit derives the configuration's JSON Schema (`configurationSchema`, with `"x-zoo-from"` for
// the keys the host fills in) and its decoding from the `Key` declarations; a module may instead
// take any `Decodable` configuration next to a schema written by hand.
//
// The kit adapts the modules to the C ABI of `zoo_plugin.h`: descriptors and function tables built
// once and kept for the life of the process, configuration decoded from JSON, tensors in and out as
// DLPack, backward through ZooTensor's tape, parameters and buffers exposed in place, every thrown
// error turned into a status and a message.
//
// `import ZooPluginKit` is all an author needs: it brings ZooTensor, ZooNN and the C types of the
// ABI along.
@_exported import CZooPlugin
@_exported import ZooNN
@_exported import ZooTensor
