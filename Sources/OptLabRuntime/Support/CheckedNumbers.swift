/// Conversions of numbers that come from outside (a file, a message, a Lua
/// argument) into sizes and counts. Swift traps on `Int(1e300)` and on an
/// overflowing `*`; a number read from a run folder must never stop the
/// process, so every such conversion goes through these, which answer nil
/// instead (DESIGN.md, "Numbers from outside"; Tests/hardening/conversions_test.sh
/// holds the code to them).
extension Int {
    /// `d` rounded toward zero when it is finite and within ±2^53 (where a
    /// Double still holds every integer), else nil.
    public init?(checked d: Double) {
        guard d.isFinite, Swift.abs(d) <= 9_007_199_254_740_992 else { return nil }
        self.init(d)
    }

    /// The product of sizes, or nil when it overflows or a factor is negative.
    public static func checkedProduct<S: Sequence>(_ factors: S) -> Int? where S.Element == Int {
        var p = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (r, o) = p.multipliedReportingOverflow(by: f)
            if o { return nil }
            p = r
        }
        return p
    }

    /// `a + b`, or nil on overflow.
    public static func checkedSum(_ a: Int, _ b: Int) -> Int? {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? nil : r
    }
}
