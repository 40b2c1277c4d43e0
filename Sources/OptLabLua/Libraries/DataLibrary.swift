import CLua
import OptLabRuntime

/// The `data` module and Dataset methods. Labels cross into Lua 1-based.
enum DataLibrary {
    static let summary = "data sets: Fashion-MNIST, IDX, CIFAR-10, CSV, spiral; split, batches"

    static let functions: [LuaFunction] = [
        LuaFunction("fashion_mnist", "data.fashion_mnist([{dir=...}])", """
        Fashion-MNIST from Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist,
        or $OPTLAB_DATA): the training set (60,000) and the test set (10,000), images
        [N,1,28,28] in [0, 1], labels 1..10.
          local full, test = data.fashion_mnist()
          local tr, val = full:split(0.9, {seed = 1})
        """) { a in
            let o = try a.options(1, allowed: ["dir"])
            let (train, test) = try Datasets.fashionMNIST(directory: o.has("dir") ? try o.string("dir", default: "") : nil)
            return [.dataset(train), .dataset(test)]
        },
        LuaFunction("idx", "data.idx(images_path, labels_path)", "A data set from IDX files (gzipped or raw), images scaled to [0, 1].") { a in
            [.dataset(try IDX.dataset(images: try a.string(1), labels: try a.string(2)))]
        },
        LuaFunction("cifar10", "data.cifar10(dir)", "CIFAR-10's binary batches from dir: training and test sets, [N,3,32,32] in [0, 1].") { a in
            let (train, test) = try Datasets.cifar10(directory: try a.string(1))
            return [.dataset(train), .dataset(test)]
        },
        LuaFunction("csv", "data.csv(path, {label=\"column\"})", "A CSV file with a header; the label column becomes classes, the others features.") { a in
            let o = try a.options(2, allowed: ["label"])
            guard o.has("label") else { throw a.argumentError(2, "option 'label' (the label column's name) is required") }
            let d = try Datasets.csv(path: try a.string(1), label: try o.string("label", default: ""))
            try d.requireFinite("data.csv")
            return [.dataset(d)]
        },
        LuaFunction("spiral", "data.spiral([{classes=3, per_class=100, noise=0.2, seed=0}])", """
        CS231n's spiral: classes arms of per_class 2-d points; not linearly separable.
          local d = data.spiral{classes = 3, per_class = 100}
        """) { a in
            let o = try a.options(1, allowed: ["classes", "per_class", "noise", "seed"])
            return [.dataset(try Datasets.spiral(classes: try o.integer("classes", default: 3), perClass: try o.integer("per_class", default: 100),
                                                 noise: try o.number("noise", default: 0.2), seed: UInt64(try o.integer("seed", default: 0))))]
        },
        LuaFunction("dataset", "data.dataset(inputs, targets [, {targets=\"classes\"|\"values\"}])", """
        A data set from a tensor of inputs [N,…] and its targets: N class labels in
        1..C (a classification set), or with targets = "values" real values [N] or
        [N,…] (a regression set: train.fit then measures the validation loss, not an
        accuracy). Inputs that are not finite are refused, naming the first.
          local d = data.dataset(x, y)                              -- labels 1..C
          local r = data.dataset(x, prices, {targets = "values"})   -- regression
        """) { a in
            let o = try a.options(3, allowed: ["targets"])
            let x = try a.tensor(1)
            let kind = try o.string("targets", default: "classes")
            guard ["classes", "values"].contains(kind) else {
                throw a.argumentError(3, "option 'targets' must be \"classes\" or \"values\", got \"\(kind)\"")
            }
            let d: Dataset
            if kind == "values" {
                d = try Dataset(inputs: x, values: try a.nestedTensorOrTensor(2))
            } else {
                d = try Dataset(inputs: x, labels: try labels(a, 2))
            }
            try d.requireFinite("data.dataset")
            return [.dataset(d)]
        },
    ]

    static let methods: [LuaFunction] = [
        LuaFunction("size", "ds:size()", "The number of examples.") { a in [.integer(try a.dataset(1).count)] },
        LuaFunction("classes", "ds:classes()", "The number of classes (nil for a regression set).") { a in
            let d = try a.dataset(1)
            return [d.isClassification ? .integer(d.classes) : .nil]
        },
        LuaFunction("inputs", "ds:inputs()", "The inputs, one tensor [N,…].") { a in [.tensor(try a.dataset(1).inputs)] },
        LuaFunction("labels", "ds:labels()", "The targets: labels 1..C (an i32 tensor), or a regression set's values.") { a in
            let d = try a.dataset(1)
            return [.tensor(d.isClassification ? try d.labels.add(1) : d.labels)]
        },
        LuaFunction("split", "ds:split(fraction [, {seed=0}])", """
        Two data sets: a seeded random `fraction` of the examples, and the rest
        (one validation fold, as the notes advise).
          local tr, val = full:split(0.9, {seed = 1})
        """) { a in
            let o = try a.options(3, allowed: ["seed"])
            let (x, y) = try a.dataset(1).split(try a.number(2), seed: UInt64(bitPattern: Int64(try o.integer("seed", default: 0))))
            return [.dataset(x), .dataset(y)]
        },
        LuaFunction("take", "ds:take(n)", "The first n examples (e.g. 20 for the overfitting check).") { a in
            [.dataset(try a.dataset(1).take(try a.integer(2)))]
        },
        LuaFunction("normalize", "ds:normalize([like])", """
        (x − mean)/std per feature: with this set's own statistics, or with those
        another set was normalized with (`like`, the training part), or with given
        ones ({mean =, std =}). Returns only the normalized set, which remembers its
        statistics (ds:normalization()), so validation and test use the training part's.
          tr = tr:normalize(); val = val:normalize(tr); test = test:normalize(tr)
        """) { a in
            let d = try a.dataset(1)
            if a.count < 2 { return [.dataset(try d.normalized())] }
            if a.isNoneOrNil(2) {
                // val:normalize(stats) with the stats of optlab 0.1's second result, now nil
                throw a.argumentError(1, "a data set or {mean =, std =} expected, got nil (normalize returns only the set now: "
                                      + "pass the training set, val:normalize(tr))")
            }
            if let like = a.state.object(at: 2, kind: Kind.dataset, as: DatasetBox.self)?.data {
                guard let n = like.normalization else {
                    throw a.argumentError(1, "the data set given was not normalized: normalize it first (tr = tr:normalize())")
                }
                return [.dataset(try d.normalized(mean: n.mean, std: n.std))]
            }
            guard a.typeName(2) == "table" else { throw a.argumentError(1, "a data set or {mean =, std =} expected, got \(a.typeName(2))") }
            let o = try a.options(2, allowed: ["mean", "std"])
            guard let m = o.value("mean")?.tensor, let s = o.value("std")?.tensor else {
                throw a.argumentError(1, "a data set or {mean =, std =} with tensors expected")
            }
            return [.dataset(try d.normalized(mean: m, std: s))]
        },
        LuaFunction("normalization", "ds:normalization()", """
        The statistics the set was normalized with, {mean =, std =}, or nil.
          local s = tr:normalization(); print(s.mean:mean():item())
        """) { a in
            guard let n = try a.dataset(1).normalization else { return [.nil] }
            return [.record([("mean", .tensor(n.mean)), ("std", .tensor(n.std))])]
        },
        LuaFunction("flatten", "ds:flatten()", "The same examples with inputs as [N, features].") { a in [.dataset(try a.dataset(1).flattened())] },
        LuaFunction("images", "ds:images(c, h, w)", "The same examples with inputs as [N, c, h, w].") { a in
            [.dataset(try a.dataset(1).images(channels: try a.integer(2), height: try a.integer(3), width: try a.integer(4)))]
        },
    ]

    /// Class labels 1..C as given, 0-based; labels from 0 (numpy's) are refused with the fix.
    static func labels(_ a: LuaArgs, _ i: Int) throws -> Tensor {
        let given = a.state.tensor(at: Int32(i))?.toDoubles()
            ?? { if case .array(let items)? = try? a.value(i) { return items.compactMap(\.number) }; return [] }()
        if let k = given.firstIndex(where: { $0 == 0 }), given.allSatisfy({ $0 >= 0 }) {
            throw a.argumentError(i, "labels are 1..C in optlab (Lua counts from 1); these start at 0 (at position \(k + 1)): "
                                  + "0-based labels, as numpy's? pass labels + 1")
        }
        return try a.indices(i, what: "label", fractional: " (real-valued targets: data.dataset(x, y, {targets = \"values\"}))")
    }

    /// For the prelude's ds:batches: a seeded order, then one batch of it at a time.
    static let primitives: [LuaFunction] = [
        .primitive("order", as: "Dataset:batches") { a in
            let d = try a.dataset(1)
            let o = try a.options(2, allowed: ["shuffle", "seed"])
            let shuffle = try o.bool("shuffle", default: false)
            let g = o.has("seed") ? Generator(seed: UInt64(bitPattern: Int64(try o.integer("seed", default: 0)))) : Generator.default
            let order = shuffle ? d.epochOrder(g) : d.fixedOrder
            return [.tensor(try Tensor(int32: order.map(Int32.init)))]
        },
        .primitive("gather", as: "Dataset:batches") { a in
            let d = try a.dataset(1)
            let order = try a.tensor(2)
            let start = try a.integer(3), size = try a.integer(4)
            if d.blocks != nil {
                // a token set's order holds block starts
                // (only this batch's slice of the order, not the whole epoch's, is read)
                let starts = try order.narrow(dim: 0, start: start, length: Swift.min(size, order.count - start)).toDoubles().map { Int($0) }
                let b = try d.batch(0, of: starts, size: starts.count)
                return [.tensor(b.inputs), .tensor(try b.labels.add(1))]
            }
            let idx = try order.narrow(dim: 0, start: start, length: Swift.min(size, order.count - start))
            let targets = try d.labels.indexSelect(dim: 0, idx)
            return [.tensor(try d.inputs.indexSelect(dim: 0, idx)), .tensor(d.isClassification ? try targets.add(1) : targets)]
        },
    ]

    static let meta: [LuaFunction] = [
        LuaFunction("__tostring", "", "") { a in
            let d = try a.dataset(1)
            if let b = d.blocks {
                return [.string("Dataset: \(d.inputs.count) tokens of \(d.classes) kinds in blocks of \(b.length), \(b.perEpoch) blocks an epoch")]
            }
            let targets = d.isClassification ? "\(d.classes) classes" : "values " + (d.labels.rank == 1 ? "[N]" : "[N," + d.labels.shape.dropFirst().map(String.init).joined(separator: ",") + "]")
            return [.string("Dataset: \(d.count) examples, inputs \(d.inputs.shape.dropFirst().map(String.init).joined(separator: "×")), \(targets)")]
        },
        LuaFunction("__len", "", "") { a in [.integer(try a.dataset(1).count)] },
    ]
}
