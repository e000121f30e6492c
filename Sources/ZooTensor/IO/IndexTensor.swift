/// Integer tensor (labels, indices) as read from or written to safetensors; values widened to Int64.
///
/// Reading converts every integer and boolean dtype (`I64`, `I32`, `I16`, `I8`, `U8`, `U16`,
/// `U32`, `U64` when the values fit, `BOOL` as 0 or 1) to this type; writing stores it as `I64`.
public struct IndexTensor: Equatable, Sendable {
    /// The extent of each axis; `[]` is a scalar.
    public var shape: [Int]
    /// The elements in row-major order.
    public var values: [Int64]

    /// An integer tensor; traps unless `values` holds exactly the element count of `shape`.
    public init(shape: [Int], values: [Int64]) {
        // Checked with `fatalError` rather than `precondition`: this module is built with
        // -Ounchecked, which drops preconditions.
        guard let count = SafeTensorsLayout.elementCount(of: shape) else {
            fatalError("[IndexTensor] invalid shape \(shape)")
        }
        guard count == values.count else {
            fatalError("[IndexTensor] shape \(shape) needs \(count) elements, got \(values.count)")
        }
        self.shape = shape
        self.values = values
    }

    /// The number of elements.
    public var count: Int { values.count }
}
