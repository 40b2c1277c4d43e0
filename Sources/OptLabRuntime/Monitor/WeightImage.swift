/// The first layer's weights as an image grid (the notes' "visualize the
/// first-layer weights"): each row of a Linear reshaped to the input image,
/// or each conv filter; every tile normalised to its own min and max.
public enum WeightImage {
    public static func tiles(of model: Module) throws -> (tiles: [[Double]], height: Int, width: Int, channels: Int) {
        guard let first = firstWeighted(model) else { throw RuntimeError(.argument, "monitor.weights", "the model has no Linear or Conv2d layer") }
        if let conv = first as? Conv2d {
            let w = conv.weight.toDoubles(), (kh, kw) = (conv.kernelSize.height, conv.kernelSize.width), c = conv.weight.shape[1]
            let ch = c == 3 ? 3 : 1
            let per = c * kh * kw
            let tiles = (0..<conv.outputs).map { o -> [Double] in
                // channel-interleaved pixels (RGB when 3 input channels, else the first channel)
                (0..<(kh * kw)).flatMap { p in (0..<ch).map { cc in w[o * per + cc * kh * kw + p] } }
            }
            return (tiles, kh, kw, ch)
        }
        guard let lin = first as? Linear else { throw RuntimeError(.argument, "monitor.weights", "unsupported first layer") }
        let n = lin.inputs
        let (h, w, ch): (Int, Int, Int)
        if n % 3 == 0, let s = squareSide(n / 3) { (h, w, ch) = (s, s, 3) } else if let s = squareSide(n) { (h, w, ch) = (s, s, 1) } else {
            throw RuntimeError(.argument, "monitor.weights", "cannot lay out \(n) inputs as a square image")
        }
        let wv = lin.weight.toDoubles()
        let tiles = (0..<lin.outputs).map { o -> [Double] in
            // stored channel-major (C, H, W); interleave for the image
            (0..<(h * w)).flatMap { p in (0..<ch).map { cc in wv[o * n + cc * h * w + p] } }
        }
        return (tiles, h, w, ch)
    }

    /// Writes the grid; `scale` enlarges every pixel; `maxTiles` bounds the grid.
    public static func write(_ model: Module, to path: String, scale: Int = 2, maxTiles: Int = 256) throws {
        try AtomicFile.write(try render(model, scale: scale, maxTiles: maxTiles).png, to: path, op: "monitor.weights")
    }

    /// The grid as PNG bytes, with its size.
    public static func render(_ model: Module, scale: Int = 2, maxTiles: Int = 256) throws -> (png: [UInt8], width: Int, height: Int, channels: Int) {
        guard scale >= 1, scale <= 32 else { throw RuntimeError(.argument, "monitor.weights", "scale must be 1…32") }
        let (tiles, th, tw, ch) = try tiles(of: model)
        let shown = Array(tiles.prefix(maxTiles))
        let cols = Int(Double(shown.count).squareRoot().rounded(.up)), rows = (shown.count + cols - 1) / cols
        let pad = 1
        let W = cols * (tw * scale + pad) + pad, H = rows * (th * scale + pad) + pad
        var pixels = [UInt8](repeating: 40, count: W * H * ch)
        for (i, tile) in shown.enumerated() {
            let lo = tile.min() ?? 0, hi = tile.max() ?? 1
            let span = hi > lo ? hi - lo : 1
            let ox = pad + (i % cols) * (tw * scale + pad), oy = pad + (i / cols) * (th * scale + pad)
            for y in 0..<(th * scale) {
                for x in 0..<(tw * scale) {
                    for c in 0..<ch {
                        let v = tile[((y / scale) * tw + x / scale) * ch + c]
                        pixels[((oy + y) * W + ox + x) * ch + c] = UInt8(Swift.max(0, Swift.min(255, ((v - lo) / span * 255).rounded())))
                    }
                }
            }
        }
        return (try PNG.encode(width: W, height: H, channels: ch, pixels: pixels), W, H, ch)
    }

    static func firstWeighted(_ m: Module) -> Module? {
        if m is Linear || m is Conv2d { return m }
        for (_, c) in m.children { if let f = firstWeighted(c) { return f } }
        return nil
    }

    static func squareSide(_ n: Int) -> Int? {
        let s = Int(Double(n).squareRoot().rounded())
        return s * s == n ? s : nil
    }
}
