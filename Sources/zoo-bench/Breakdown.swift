import Foundation
import ZooTensor

/// `zoo-bench --breakdown [--cpu] [--only NAME] [--steps N]`: where each workload's step time goes,
/// as fractions of wall time (with `--cpu`, of the main thread's CPU time) per category of `OpTimer` (GEMM, convolution data movement,
/// normalisation, element-wise, allocation, optimiser, plug-in boundary, other), with the GEMM
/// rate as a fraction of the OpenBLAS sgemm rate measured in the same run.
///
/// The timer is off in the ordinary runs, so their throughput is not affected by it.
func printBreakdowns(_ names: [String], steps: Int, cpuClock: Bool) {
    let sgemm = openBLASReferenceRate()
    print("zoo-bench --breakdown — threads: \(Threading.threadCount), OpenBLAS sgemm 1024³: "
          + String(format: "%.1f GFLOP/s", sgemm))
    for name in names {
        guard let workload = NNWorkload.named(name) else { continue }
        let timedSteps = defaultSteps(name)
        for _ in 0..<2 { try? workload.step() }
        GEMMStatistics.reset()
        GEMMStatistics.isEnabled = true
        OpTimer.start(cpuClock: cpuClock)
        let start = now(), startClock = OpTimer.clock()
        for _ in 0..<timedSteps { try? workload.step() }
        let wall = now() - start, elapsed = Double(OpTimer.clock() - startClock) * 1e-9
        let seconds = OpTimer.stop()
        GEMMStatistics.isEnabled = false
        let gemm = GEMMStatistics.totals
        let rate = gemm.seconds > 0 ? gemm.operations / gemm.seconds / 1e9 : 0
        print("\n\(name): \(String(format: "%.1f", Double(workload.batch * timedSteps) / wall)) samples/s "
              + "(timed), \(String(format: "%.1f", elapsed / Double(timedSteps) * 1000)) ms/step\(cpuClock ? " of CPU" : ""); "
              + "GEMM \(String(format: "%.1f", rate)) GFLOP/s = \(String(format: "%.2f", rate / sgemm)) of sgemm")
        for category in OpTimer.Category.allCases {
            let share = (seconds[category] ?? 0) / elapsed
            print("  " + category.label.padding(toLength: 44, withPad: " ", startingAt: 0)
                  + String(format: "%6.1f%%  %8.2f ms/step", share * 100, (seconds[category] ?? 0) / Double(timedSteps) * 1000))
        }
    }
}
