import CKernels

/// The vector kernels (CKernels) this CPU runs: chosen at first use by its
/// features, capped by `OPTLAB_ISA`.
public enum VectorKernels {
    /// "avx512", "avx2" or "baseline".
    public static var instructionSet: String { String(cString: optlab_isa()) }
}
