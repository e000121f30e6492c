import Foundation

/// The safetensors dtypes this reader converts.
enum SafeTensorsDType: String {
    case bool = "BOOL", u8 = "U8", i8 = "I8", u16 = "U16", i16 = "I16", f16 = "F16", bf16 = "BF16"
    case u32 = "U32", i32 = "I32", f32 = "F32", u64 = "U64", i64 = "I64", f64 = "F64"

    /// Dtypes of the format that this reader does not convert.
    static let unsupported: Set<String> = ["F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64"]

    var byteSize: Int {
        switch self {
        case .bool, .u8, .i8: 1
        case .u16, .i16, .f16, .bf16: 2
        case .u32, .i32, .f32: 4
        case .u64, .i64, .f64: 8
        }
    }

    var isFloat: Bool {
        switch self {
        case .f16, .bf16, .f32, .f64: true
        default: false
        }
    }
}

enum SafeTensorsLayout {
    /// The element count of `shape`; nil when a dimension is negative or the product of the
    /// non-zero dimensions overflows `Int` (so multiplying the dimensions in any order is safe).
    static func elementCount(of shape: [Int]) -> Int? {
        var product = 1
        var hasZero = false
        for dimension in shape {
            if dimension < 0 { return nil }
            if dimension == 0 {
                hasZero = true
                continue
            }
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            product = next
        }
        return hasZero ? 0 : product
    }

    /// IEEE half-precision bits to `Float`.
    static func float(fromHalf bits: UInt16) -> Float {
        let sign: UInt32 = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        if exponent == 0 {
            // Zero or subnormal: mantissa × 2⁻²⁴, exact in Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
}
