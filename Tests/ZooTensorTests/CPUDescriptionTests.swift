import XCTest
import ZooTensor

/// What every benchmark result records of its CPU, read from /proc/cpuinfo.
final class CPUDescriptionTests: XCTestCase {
    func testTheFirstProcessorsFieldsAndTheKernelsSIMDExtensions() {
        let cpuinfo = """
            processor\t: 0
            vendor_id\t: AuthenticAMD
            cpu family\t: 25
            model\t\t: 17
            model name\t: AMD EPYC 9R14 96-Core Processor
            flags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512bw avx512vl avx512_bf16 sha_ni

            processor\t: 1
            vendor_id\t: GenuineIntel
            model name\t: another
            """
        let cpu = CPUDescription(cpuinfo: cpuinfo, kernelVariant: "avx2+fma", openBLASCore: "SkylakeX", processors: 2)
        XCTAssertEqual(cpu.vendor, "AuthenticAMD")
        XCTAssertEqual(cpu.family, 25)
        XCTAssertEqual(cpu.model, 17)
        XCTAssertEqual(cpu.modelName, "AMD EPYC 9R14 96-Core Processor")
        XCTAssertEqual(cpu.simd, ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16"])
        XCTAssertEqual(cpu.summary, "AMD EPYC 9R14 96-Core Processor (AuthenticAMD family 25 model 17; sse4_2 avx avx2 fma avx512f "
                       + "avx512bw avx512vl avx512_bf16; kernels avx2+fma; OpenBLAS SkylakeX; 2 processors)")
    }

    func testThisMachineIsDescribed() {
        let cpu = CPUDescription.current
        XCTAssertTrue(["avx2+fma", "portable"].contains(cpu.kernelVariant), cpu.kernelVariant)
        XCTAssertFalse(cpu.openBLASCore.isEmpty)
        XCTAssertEqual(cpu.kernelVariant == "avx2+fma", cpu.simd.contains("avx2") && cpu.simd.contains("fma"),
                       "the kernels take the AVX2 path exactly when the CPU has AVX2 and FMA")
    }
}
