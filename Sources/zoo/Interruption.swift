import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The signal that asked a run to stop, 0 while none has.
private let requestedSignal = Atomic<Int32>(0)

/// Ctrl-C (SIGINT) and SIGTERM during training: the first one asks the trainer to stop after the
/// step it is in and write a checkpoint; a second one ends the process at once (the handler
/// resets itself).
enum Interruption {
    static func install() {
        for signal in [SIGINT, SIGTERM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in requestedSignal.store(number, ordering: .relaxed) }
            action.sa_flags = Int32(truncatingIfNeeded: SA_RESETHAND)
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
    }

    /// "SIGINT" or "SIGTERM" once one has arrived.
    @Sendable static func requested() -> String? {
        switch requestedSignal.load(ordering: .relaxed) {
        case 0: nil
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case let other: "signal \(other)"
        }
    }

    /// The shell's exit status for a run a signal stopped: 128 + the signal's number.
    static func exitCode(for reason: String) -> Int32 {
        reason == "SIGTERM" ? 128 + SIGTERM : 128 + SIGINT
    }
}

/// `text` as one shell word: unchanged when it needs no quoting, else in single quotes.
func shellWord(_ text: String) -> String {
    let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,@+%")
    if !text.isEmpty && text.allSatisfy(plain.contains) { return text }
    return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
