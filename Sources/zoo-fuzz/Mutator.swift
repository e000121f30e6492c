import ZooTensor

/// Seeded mutations of a valid input: the damage real files suffer (bit flips, truncation, a cut or
/// repeated stretch) and the values a hostile file chooses for its size fields (0, 1, all ones,
/// the top bit, in both byte orders). The same seed and input give the same mutants.
struct Mutator {
    var generator: RandomGenerator

    init(seed: UInt64) { generator = RandomGenerator(seed: seed) }

    mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(generator.next() % UInt64(bound)) }

    /// Boundary values of the widths size fields use.
    static let boundaries: [UInt64] = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
                                       0x1_0000_0000, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF]
    /// Numbers a hostile text file writes in place of a count or a value.
    static let numbers = ["0", "-1", "1", "-0", "255", "256", "65536", "4294967295", "4294967296", "2147483648",
                          "9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999",
                          "1e308", "-1e308", "1e-320", "nan", "inf", "-inf", "0x10", "1.5", "", " ", "[]", "{}", "null"]

    /// One mutant of `input`, made by one to four mutations.
    mutating func mutate(_ input: [UInt8], textual: Bool) -> [UInt8] {
        var bytes = input
        for _ in 0...below(4) {
            if textual && below(2) == 0 { mutateText(&bytes) } else { mutateBytes(&bytes) }
        }
        return bytes
    }

    mutating func mutateBytes(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { bytes = [UInt8(truncatingIfNeeded: generator.next())]; return }
        // Size fields sit near the start of every format read here: aim there half the time.
        let position = below(2) == 0 ? below(Swift.min(bytes.count, 256)) : below(bytes.count)
        switch below(8) {
        case 0: bytes[position] ^= 1 << UInt8(below(8))
        case 1: bytes[position] = [0x00, 0xFF, 0x7F, 0x80, 0x01][below(5)]
        case 2, 3:
            let value = Mutator.boundaries[below(Mutator.boundaries.count)]
            let width = [2, 4, 8][below(3)]
            let bigEndian = below(2) == 0
            for k in 0..<width where position + k < bytes.count {
                let shift = UInt64(8 * (bigEndian ? width - 1 - k : k))
                bytes[position + k] = UInt8(truncatingIfNeeded: value >> shift)
            }
        case 4: bytes.removeLast(below(bytes.count) + 1)
        case 5:
            let end = Swift.min(bytes.count, position + 1 + below(64))
            bytes.removeSubrange(position..<end)
        case 6:
            let end = Swift.min(bytes.count, position + 1 + below(64))
            bytes.insert(contentsOf: bytes[position..<end], at: below(bytes.count))
        default: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
        }
    }

    /// Replaces a number (or a word) of a text file by a hostile one, or a line by another.
    mutating func mutateText(_ bytes: inout [UInt8]) {
        let isToken: (UInt8) -> Bool = { ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
            || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == UInt8(ascii: "_") }
        let starts = bytes.indices.filter { isToken(bytes[$0]) && ($0 == 0 || !isToken(bytes[$0 - 1])) }
        if below(4) == 0, let newline = bytes.indices.filter({ bytes[$0] == 0x0A }).randomElement(using: &generator) {
            // Repeat or drop a line.
            let lineStart = bytes[..<newline].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
            if below(2) == 0 { bytes.insert(contentsOf: bytes[lineStart...newline], at: lineStart) } else { bytes.removeSubrange(lineStart...newline) }
            return
        }
        guard let start = starts.randomElement(using: &generator) else { mutateBytes(&bytes); return }
        var end = start
        while end < bytes.count && isToken(bytes[end]) { end += 1 }
        bytes.replaceSubrange(start..<end, with: Array(Mutator.numbers[below(Mutator.numbers.count)].utf8))
    }
}
