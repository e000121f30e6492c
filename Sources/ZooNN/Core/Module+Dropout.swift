import ZooTensor

extension Module {
    /// The dropout layers of this module and its descendants, in `state_dict` order.
    public var dropoutLayers: [Dropout] {
        var found: [Dropout] = []
        func visit(_ module: Module) {
            if let dropout = module as? Dropout { found.append(dropout) }
            for (_, child) in module.namedChildren { visit(child) }
        }
        visit(self)
        return found
    }

    /// Restarts every dropout layer's generator from `seed`, the k-th layer (in `state_dict` order)
    /// from its own mix of `seed` and k, so the masks that follow depend on `seed` alone and not on
    /// what was drawn before. Layers that share a generator draw from the one restarted last.
    public func reseedDropout(_ seed: UInt64) {
        Dropout.reseed(dropoutLayers, from: seed)
    }
}

extension Dropout {
    /// Restarts `layers` (a module's `dropoutLayers`, kept by a caller that reseeds at every step)
    /// as `Module.reseedDropout` does.
    public static func reseed(_ layers: [Dropout], from seed: UInt64) {
        for (index, layer) in layers.enumerated() {
            var mixer = RandomGenerator(seed: seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
            layer.restart(seed: mixer.next())
        }
    }
}
