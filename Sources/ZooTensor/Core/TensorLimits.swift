import Foundation

/// The last guard against a tensor that cannot exist: a shape whose element count overflows, or a
/// tensor larger than the machine's memory. Such a size can only come from a configuration or an
/// input that no check before it caught (e.g. a module configured with `hidden: [100000, 100000]`,
/// whose creation cannot fail through the plug-in ABI). The process ends with exit status 1 and a
/// message naming the size, instead of a trap in the allocator.
public enum TensorLimits {
    /// The most floats one tensor may hold: the machine's physical memory.
    public static let largestCount = Int(clamping: ProcessInfo.processInfo.physicalMemory / 4)

    @usableFromInline
    static func refuse(shape: [Int]) -> Never {
        end("a tensor of shape \(shape) has more elements than can be counted")
    }

    static func refuse(count: Int) -> Never {
        let gib = Double(count) * 4 / Double(1 << 30)
        let memory = Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)
        end("a tensor of \(count) floats (\(String(format: "%.1f", gib)) GiB) is larger than this machine's memory "
            + "(\(String(format: "%.1f", memory)) GiB)")
    }

    private static func end(_ what: String) -> Never {
        FileHandle.standardError.write(Data(("error: \(what): a configuration or an input asks for more than can be allocated; "
                                            + "check the sizes in the manifest's module configurations\n").utf8))
        exit(1)
    }
}
