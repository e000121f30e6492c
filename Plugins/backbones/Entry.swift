// The built-in backbones: images or features → pooled features [B, D].
//
// One library, `libZooBackbones.so`, plug-in `zoo-backbones`:
//
// | module         | input              | output D                         |
// | -------------- | ------------------ | -------------------------------- |
// | `mlp`          | `[B, in_dim]`      | `hidden.last` (default 512)      |
// | `convnet`      | `[B, C, H, W]`     | `channels.last` (default 64)     |
// | `resnet-cifar` | `[B, C, H, W]`     | 64                               |
// | `resnet`       | `[B, 3, H, W]`     | 512 (18, 34) or 2048 (50)        |
// | `vit`          | `[B, C, S, S]`     | `dim` (or tokens `[B, N+1, dim]`) |
//
// Every module takes `pretrained` (a safetensors file keyed by the module's parameter and buffer
// names) and `pretrained_strict`.
import ZooPluginKit

@_cdecl("zoo_plugin_entry_v1")
public func zooPluginEntry(_ host: UnsafePointer<zoo_host_api>?, _ error: OpaquePointer?) -> UnsafePointer<zoo_plugin_info>? {
    ZooPlugin.export(
        name: "zoo-backbones", version: "1.0.0",
        modules: [MLPBackbone.self, ConvNetBackbone.self, CIFARResNetBackbone.self, ResNetBackbone.self,
                  VisionTransformerBackbone.self],
        host: host, error: error)
}
