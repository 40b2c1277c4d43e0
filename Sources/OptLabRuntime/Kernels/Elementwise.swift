/// Elementwise functions known at compile time, so that the loop each worker
/// thread runs is specialised and vectorised. (A closure handed to another
/// thread stays a closure: it is called once per element, several times
/// slower than the loop it replaces.) Large tensors are split over the
/// threads; every element is computed alone, so the split changes no bit.
protocol BinaryElementwise {
    associatedtype Element
    static func apply(_ a: Element, _ b: Element) -> Element
}

protocol UnaryElementwise {
    associatedtype Element
    static func apply(_ a: Element) -> Element
}

enum Add<T: FloatElement>: BinaryElementwise { @inline(__always) static func apply(_ a: T, _ b: T) -> T { a + b } }
enum Sub<T: FloatElement>: BinaryElementwise { @inline(__always) static func apply(_ a: T, _ b: T) -> T { a - b } }
enum Mul<T: FloatElement>: BinaryElementwise { @inline(__always) static func apply(_ a: T, _ b: T) -> T { a * b } }
enum Div<T: FloatElement>: BinaryElementwise { @inline(__always) static func apply(_ a: T, _ b: T) -> T { a / b } }
enum Maximum<T: FloatElement>: BinaryElementwise { @inline(__always) static func apply(_ a: T, _ b: T) -> T { a >= b || a.isNaN ? a : b } }
enum Minimum<T: FloatElement>: BinaryElementwise { @inline(__always) static func apply(_ a: T, _ b: T) -> T { a <= b || a.isNaN ? a : b } }
/// relu's backward: the gradient where the input was positive.
enum ReLUGradient<T: FloatElement>: BinaryElementwise { @inline(__always) static func apply(_ g: T, _ x: T) -> T { x > 0 ? g : 0 } }
/// tanh's backward from its output y: g·(1 − y²).
enum TanhGradient<T: FloatElement>: BinaryElementwise { @inline(__always) static func apply(_ g: T, _ y: T) -> T { g * (1 - y * y) } }
/// sigmoid's backward from its output y: g·y·(1 − y).
enum SigmoidGradient<T: FloatElement>: BinaryElementwise { @inline(__always) static func apply(_ g: T, _ y: T) -> T { g * (y * (1 - y)) } }

enum Negate<T: FloatElement>: UnaryElementwise { @inline(__always) static func apply(_ a: T) -> T { -a } }
enum Absolute<T: FloatElement>: UnaryElementwise { @inline(__always) static func apply(_ a: T) -> T { Swift.abs(a) } }
enum SquareRoot<T: FloatElement>: UnaryElementwise { @inline(__always) static func apply(_ a: T) -> T { a.squareRoot() } }
/// NaN passes through, as in PyTorch.
enum Rectify<T: FloatElement>: UnaryElementwise { @inline(__always) static func apply(_ a: T) -> T { a <= 0 ? 0 : a } }

/// out = K(a, b) over the broadcast shape: in parallel for equal shapes and a
/// one-element operand, on one thread (mapBinary) when broadcasting.
@inline(__always)
func elementwise<K: BinaryElementwise>(_: K.Type, _ a: UnsafePointer<K.Element>, _ aShape: [Int], _ b: UnsafePointer<K.Element>, _ bShape: [Int],
                                       _ out: UnsafeMutablePointer<K.Element>, _ outShape: [Int]) {
    let n = outShape.reduce(1, *)
    let na = aShape.reduce(1, *), nb = bShape.reduce(1, *)
    if na == n && nb == n {
        Parallel.forRanges(n) { r in for i in r { out[i] = K.apply(a[i], b[i]) } }
    } else if nb == 1 && na == n {
        let bv = b[0]
        Parallel.forRanges(n) { r in for i in r { out[i] = K.apply(a[i], bv) } }
    } else if na == 1 && nb == n {
        let av = a[0]
        Parallel.forRanges(n) { r in for i in r { out[i] = K.apply(av, b[i]) } }
    } else {
        mapBinary(a, aShape, b, bShape, out, outShape, K.apply)
    }
}

@inline(__always)
func elementwise<K: UnaryElementwise>(_: K.Type, _ a: UnsafePointer<K.Element>, _ out: UnsafeMutablePointer<K.Element>, _ n: Int) {
    Parallel.forRanges(n) { r in for i in r { out[i] = K.apply(a[i]) } }
}
