import Foundation

/// The data sets optlab knows by name.
public enum Datasets {
    /// Debian's `dataset-fashion-mnist` puts the files here; `$OPTLAB_DATA` overrides.
    public static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"

    /// Fashion-MNIST's training (60,000) and test (10,000) sets: 28×28 images
    /// in [0, 1] as [N, 1, 28, 28], labels 0…9.
    public static func fashionMNIST(directory: String? = nil) throws -> (train: Dataset, test: Dataset) {
        let dir = directory ?? ProcessInfo.processInfo.environment["OPTLAB_DATA"] ?? fashionMNISTDirectory
        func file(_ stem: String) throws -> String {
            for name in [stem + ".gz", stem] where FileManager.default.fileExists(atPath: dir + "/" + name) { return dir + "/" + name }
            throw RuntimeError(.io, "data.fashion_mnist", "\(dir)/\(stem)(.gz) not found; install it with `apt-get install dataset-fashion-mnist` or set OPTLAB_DATA to a folder holding the IDX files")
        }
        let train = try IDX.dataset(images: file("train-images-idx3-ubyte"), labels: file("train-labels-idx1-ubyte"), classes: 10)
        let test = try IDX.dataset(images: file("t10k-images-idx3-ubyte"), labels: file("t10k-labels-idx1-ubyte"), classes: 10)
        return (try TinyRun.examples(train.images(channels: 1, height: 28, width: 28), keep: TinyRun.trainingExamples),
                try TinyRun.examples(test.images(channels: 1, height: 28, width: 28), keep: TinyRun.testExamples))
    }

    /// CIFAR-10's binary batches (data_batch_1..5.bin, test_batch.bin): each
    /// record one label byte and 3072 pixel bytes (3×32×32); inputs in [0, 1].
    public static func cifar10(directory dir: String) throws -> (train: Dataset, test: Dataset) {
        func read(_ names: [String]) throws -> Dataset {
            var labels: [Int32] = [], pixels: [Float] = []
            for name in names {
                let path = dir + "/" + name
                let bytes = try AtomicFile.read(path, op: "data.cifar10")
                guard bytes.count % 3073 == 0, !bytes.isEmpty else {
                    throw RuntimeError(.format, "data.cifar10", "\(path): \(bytes.count) bytes is not a whole number of 3073-byte records")
                }
                for r in 0..<(bytes.count / 3073) {
                    let label = bytes[r * 3073]
                    guard label < 10 else { throw RuntimeError(.format, "data.cifar10", "\(path): record \(r) has label \(label)") }
                    labels.append(Int32(label))
                    pixels.append(contentsOf: bytes[(r * 3073 + 1)..<((r + 1) * 3073)].map { Float($0) / 255 })
                }
            }
            return try Dataset(inputs: Tensor(pixels, shape: [labels.count, 3, 32, 32]), labels: Tensor(int32: labels), classes: 10)
        }
        return (try TinyRun.examples(read((1...5).map { "data_batch_\($0).bin" }), keep: TinyRun.trainingExamples),
                try TinyRun.examples(read(["test_batch.bin"]), keep: TinyRun.testExamples))
    }

    /// A CSV file of numbers with a header row; `label` names the label
    /// column (integers 0…C−1, or any values, mapped to 0…C−1 in sorted order).
    public static func csv(path: String, label: String) throws -> Dataset {
        let text = String(decoding: try AtomicFile.read(path, op: "data.csv"), as: UTF8.self)
        // (line numbers as an editor shows them: blank lines count)
        // ("\r\n" is one Character in Swift, and a newline)
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated()
            .map { (number: $0.offset + 1, text: String($0.element)) }
            .filter { !$0.text.isEmpty }
        guard !lines.isEmpty else { throw RuntimeError(.format, "data.csv", "\(path) is empty") }
        func fields(_ line: (number: Int, text: String)) throws -> [String] {
            guard let cells = csvFields(line.text) else {
                throw RuntimeError(.format, "data.csv", "\(path) line \(line.number) has a quoted field that does not close on that line, or text after its closing quote")
            }
            return cells
        }
        let header = try fields(lines.removeFirst())
        guard let li = header.firstIndex(of: label) else {
            throw RuntimeError(.argument, "data.csv", "\(path) has no column '\(label)' (columns: \(header.joined(separator: ", ")))")
        }
        var features: [Float] = [], raw: [String] = []
        for line in lines {
            let cells = try fields(line)
            guard cells.count == header.count else {
                throw RuntimeError(.format, "data.csv", "\(path) line \(line.number) has \(cells.count) fields, the header \(header.count)")
            }
            for (i, c) in cells.enumerated() {
                if i == li { raw.append(c); continue }
                guard let v = Float(c) else { throw RuntimeError(.format, "data.csv", "\(path) line \(line.number): '\(c)' is not a number") }
                features.append(v)
            }
        }
        let names = Array(Set(raw)).sorted { (Double($0) ?? .infinity, $0) < (Double($1) ?? .infinity, $1) }
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, Int32($0)) })
        return try Dataset(inputs: Tensor(features, shape: [raw.count, header.count - 1]),
                           labels: Tensor(int32: raw.map { index[$0] ?? 0 }), classes: names.count)
    }

    /// The fields of one CSV line (RFC 4180 within a line): separated by
    /// commas, spaces around them dropped; a field in double quotes may hold
    /// commas, and "" for a quote. Nil when a quote does not close (a quoted
    /// field spanning lines, which numeric data sets do not have).
    static func csvFields(_ line: String) -> [String]? {
        var fields: [String] = [], field = "", quoted = false, wasQuoted = false
        var chars = line.makeIterator()
        while let c = chars.next() {
            if quoted {
                if c == "\"" {
                    var rest = chars
                    if rest.next() == "\"" { field.append("\""); chars = rest } else { quoted = false }
                } else {
                    field.append(c)
                }
            } else if c == "\"" && field.allSatisfy(\.isWhitespace) && !wasQuoted {
                (field, quoted, wasQuoted) = ("", true, true)
            } else if c == "," {
                fields.append(wasQuoted ? field : field.trimmingCharacters(in: .whitespaces))
                (field, wasQuoted) = ("", false)
            } else if !(wasQuoted && c.isWhitespace) {
                if wasQuoted { return nil }  // text after a closing quote
                field.append(c)
            }
        }
        if quoted { return nil }
        fields.append(wasQuoted ? field : field.trimmingCharacters(in: .whitespaces))
        return fields
    }

    /// CS231n's spiral: `classes` arms of `perClass` points in 2-d, with noise.
    public static func spiral(classes: Int = 3, perClass: Int = 100, noise: Double = 0.2, seed: UInt64 = 0) throws -> Dataset {
        guard classes > 0, perClass > 0 else { throw RuntimeError(.argument, "data.spiral", "classes and per_class must be positive") }
        guard classes <= 1000, perClass <= 10_000_000 / classes else {
            throw RuntimeError(.argument, "data.spiral", "\(classes) × \(perClass) points is too many (at most 10,000,000)")
        }
        let g = Generator(seed: seed)
        var xs: [Float] = [], ys: [Int32] = []
        for c in 0..<classes {
            for i in 0..<perClass {
                let r = Double(i) / Double(Swift.max(perClass - 1, 1))
                let t = Double(c) * 4 + r * 4 + g.normal() * noise
                xs += [Float(r * Foundation.sin(t)), Float(r * Foundation.cos(t))]
                ys.append(Int32(c))
            }
        }
        return try Dataset(inputs: Tensor(xs, shape: [classes * perClass, 2]), labels: Tensor(int32: ys), classes: classes)
    }
}
