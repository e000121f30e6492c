import COpenBLAS
import CZooKernels
import Foundation

/// The CPU a measurement ran on, as every benchmark result records it: figures from different CPUs
/// are never compared with one another.
public struct CPUDescription: Sendable, Equatable {
    /// `vendor_id` of /proc/cpuinfo (`AuthenticAMD`, `GenuineIntel`).
    public var vendor: String
    public var family: Int?
    public var model: Int?
    /// `model name` of /proc/cpuinfo.
    public var modelName: String
    /// The SIMD extensions of the CPU that matter to the kernels, in this order when present.
    public var simd: [String]
    /// The variant of Zoo's C kernels chosen at load time (`avx2+fma`, `portable`).
    public var kernelVariant: String
    /// The core type OpenBLAS chose at load time (`Zen`, `Haswell`, `SkylakeX`).
    public var openBLASCore: String
    /// Logical processors.
    public var processors: Int

    /// The extensions looked for, by their /proc/cpuinfo flag names.
    static let extensions = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
                             "amx_tile", "asimd", "sve"]

    /// This machine's CPU.
    public static var current: CPUDescription {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        return CPUDescription(cpuinfo: text, kernelVariant: String(cString: zoo_kernel_variant()),
                              openBLASCore: openblas_get_corename().map { String(cString: $0) } ?? "unknown",
                              processors: ProcessInfo.processInfo.activeProcessorCount)
    }

    /// From the text of /proc/cpuinfo (its first processor's fields).
    public init(cpuinfo text: String, kernelVariant: String, openBLASCore: String, processors: Int) {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty, !fields.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            if fields[key] == nil { fields[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        let flags = Set((fields["flags"] ?? fields["Features"] ?? "").split(separator: " ").map(String.init))
        vendor = fields["vendor_id"] ?? fields["CPU implementer"] ?? "unknown"
        family = fields["cpu family"].flatMap { Int($0) }
        model = fields["model"].flatMap { Int($0) }
        modelName = fields["model name"] ?? "unknown"
        simd = CPUDescription.extensions.filter(flags.contains)
        self.kernelVariant = kernelVariant
        self.openBLASCore = openBLASCore
        self.processors = processors
    }

    /// One line: `AMD EPYC (AuthenticAMD family 23 model 1; sse4_2 avx avx2 fma; kernels avx2+fma; OpenBLAS Zen; 2 processors)`.
    public var summary: String {
        let identity = [vendor, family.map { "family \($0)" }, model.map { "model \($0)" }].compactMap { $0 }.joined(separator: " ")
        return "\(modelName) (\(identity); \(simd.isEmpty ? "no SIMD extensions found" : simd.joined(separator: " ")); "
            + "kernels \(kernelVariant); OpenBLAS \(openBLASCore); \(processors) processors)"
    }

    /// The fields for a JSON result.
    public var jsonObject: [String: Any] {
        var object: [String: Any] = ["vendor": vendor, "model_name": modelName, "simd": simd, "kernel_variant": kernelVariant,
                                     "openblas_core": openBLASCore, "processors": processors]
        if let family { object["family"] = family }
        if let model { object["model"] = model }
        return object
    }
}
