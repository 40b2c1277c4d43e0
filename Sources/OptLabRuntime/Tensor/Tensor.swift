/// An n-dimensional array of `f32`, `f64` or `i32` elements, contiguous and
/// row-major, that can take part in reverse-mode differentiation.
///
/// Tensors are reference types: a parameter, its `.grad` and the nodes of the
/// graph that use it all point at the same object. Values never change behind
/// an op's back; the in-place operations (`copy(from:)`, `addInPlace`) are
/// named as such and are what optimizers use.
///
/// ```swift
/// let w = try Tensor.randn([3, 3]).requiringGrad()
/// let loss = try x.matmul(w).relu().sum()
/// try loss.backward()        // w.grad now holds d loss / d w
/// ```
public final class Tensor {
    /// The size of each dimension; `[]` for a scalar.
    public let shape: [Int]
    /// The element type. Fixed for a tensor's life, except while a gradient
    /// check runs a parameter in f64 (`swapContents`).
    /// (`@exclusivity(unchecked)`: every kernel reads these three; only
    /// `swapContents` writes them, and dynamic access checks on the reads
    /// were measured at a quarter of a small op's Swift cost.)
    @exclusivity(unchecked) public internal(set) var dtype: DType
    @exclusivity(unchecked) private(set) var storage: Storage
    /// Where this tensor's elements start in `storage` (a row view of a
    /// bigger tensor starts past 0); they are always contiguous from there.
    @exclusivity(unchecked) private(set) var offset: Int
    /// The number of elements (the product of `shape`).
    public let count: Int

    /// Leaves with `requiresGrad` receive `.grad` in `backward()`; results of
    /// ops on such tensors record how to send their gradient back.
    public var requiresGrad: Bool
    /// The accumulated gradient, the same shape and dtype as the tensor.
    public var grad: Tensor?
    /// Keep `.grad` on this non-leaf too (the monitor's activation gradients).
    public var retainsGrad = false
    /// A name for reports (`1.weight`); modules set it on their parameters.
    public var name: String?
    /// Made a parameter (`nn.Parameter`, or by a module): assigned to a Lua
    /// module's field, it becomes one of the module's parameters.
    public var isParameter = false
    /// How this tensor was made, when it was made from tensors that need grad.
    var node: GradNode?

    /// The largest rank the runtime accepts: a guard against lying files and
    /// typos, well above the 4 that NCHW images need.
    public static let maxRank = 8

    init(shape: [Int], dtype: DType, storage: Storage, offset: Int = 0) {
        self.shape = shape
        self.dtype = dtype
        self.storage = storage
        self.offset = offset
        self.count = shape.reduce(1, *)
        self.requiresGrad = false
    }

    /// An uninitialised tensor; internal, every caller fills it. Throws
    /// when the memory cannot be had.
    convenience init(uninitialized shape: [Int], dtype: DType) throws {
        self.init(shape: shape, dtype: dtype, storage: try Storage(count: shape.reduce(1, *), dtype: dtype))
    }

    public var rank: Int { shape.count }
    /// The first element's address, and the byte size of all elements.
    var raw: UnsafeMutableRawPointer { storage.raw + offset * dtype.byteSize }
    var byteCount: Int { count * dtype.byteSize }
    /// True when the tensor was produced by an op (it has a graph behind it).
    public var isLeaf: Bool { node == nil }

    /// Checks a shape that came from a user or a file: no negative sizes, no
    /// overflow of the element count, no absurd rank.
    public static func validate(_ shape: [Int], op: String) throws -> Int {
        guard shape.count <= maxRank else {
            throw RuntimeError(.shape, op, "rank \(shape.count) is too large (at most \(maxRank) dimensions)")
        }
        var n = 1
        for d in shape {
            guard d >= 0 else {
                throw RuntimeError(.shape, op, "shape \(describe(shape)) has a negative size")
            }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow, p <= (1 << 40) else {
                throw RuntimeError(.shape, op, "shape \(describe(shape)) has too many elements")
            }
            n = p
        }
        return n
    }

    /// Marks a leaf as a parameter whose gradient `backward()` fills.
    @discardableResult
    public func requiringGrad(_ on: Bool = true) throws -> Tensor {
        guard dtype.isFloatingPoint || !on else {
            throw RuntimeError(.dtype, "requires_grad", "only f32 and f64 tensors can require grad (got i32)")
        }
        guard node == nil || on else {
            throw RuntimeError(.autograd, "requires_grad", "cannot turn off grad on a non-leaf; use detach()")
        }
        requiresGrad = on
        return self
    }

    /// The same values, cut off from the graph; shares storage.
    public func detach() -> Tensor {
        Tensor(shape: shape, dtype: dtype, storage: storage, offset: offset)
    }

    /// Exchanges dtype and storage with `other` (same shape): how a gradient
    /// check runs the caller's own parameter objects in f64 and then puts
    /// their f32 values back, without the caller's closure knowing.
    func swapContents(with other: Tensor) {
        swap(&dtype, &other.dtype)
        swap(&storage, &other.storage)
        swap(&offset, &other.offset)
    }

    /// How many times these elements were changed in place (shared by views).
    public var version: Int { storage.version }

    /// Marks an in-place change of the elements.
    func bumpVersion() { storage.version &+= 1 }

    /// Whether `other` reads the same memory (a view or the tensor itself).
    func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }

    /// Reads the elements as a typed buffer. Internal kernels use this.
    @inline(__always)
    func ptr<T>(_ t: T.Type) -> UnsafeMutablePointer<T> { storage.pointer(t) + offset }
}
