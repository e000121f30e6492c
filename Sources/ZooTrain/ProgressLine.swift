import Foundation

/// The trainer's progress: a plain line every `logEvery` steps and at the end of each epoch (loss
/// and throughput over the steps since the line before), and on a terminal a live line rewritten
/// at most ten times a second in between.
struct ProgressLine {
    let options: TrainerOptions
    private var windowStart = Date()
    private var windowSamples = 0
    private var windowLoss = 0.0
    private var windowSteps = 0
    private var liveShown = false
    private var liveShownAt = Date.distantPast

    init(options: TrainerOptions) { self.options = options }

    mutating func startWindow(at date: Date) {
        windowStart = date
        (windowSamples, windowLoss, windowSteps) = (0, 0, 0)
    }

    mutating func step(epoch: Int, epochs: Int, index: Int, stepsPerEpoch: Int, loss: Double, samples: Int, rate: Float,
                       elapsed: Double, step: Int, totalSteps: Int, now: Date) {
        windowSamples += samples
        windowLoss += loss
        windowSteps += 1
        let left = elapsed / Double(step) * Double(totalSteps - step)
        let throughput = Double(windowSamples) / max(1e-9, now.timeIntervalSince(windowStart))
        let line = String(format: "epoch %d/%d  step %d/%d  loss %.4f  lr %.4g  %.0f samples/s",
                          epoch + 1, epochs, index, stepsPerEpoch, windowLoss / Double(windowSteps), Double(rate), throughput)
            + "  left \(Trainer.clock(left))"
        if options.logEvery > 0 && (index % options.logEvery == 0 || index == stepsPerEpoch) {
            options.write((liveShown ? "\r\u{1B}[K" : "") + line + "\n")
            liveShown = false
            startWindow(at: now)
        } else if options.live && now.timeIntervalSince(liveShownAt) >= 0.1 {
            options.write("\r\u{1B}[K" + line)
            liveShown = true
            liveShownAt = now
        }
    }

    /// Ends a live line, so that what follows starts on its own line.
    mutating func finishLine() {
        if liveShown { options.write("\n") }
        liveShown = false
    }
}
