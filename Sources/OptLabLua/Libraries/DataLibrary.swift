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
          local train, test = data.fashion_mnist()
          local tr, val = train:split(0.9, {seed = 1})
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
            return [.dataset(try Datasets.csv(path: try a.string(1), label: try o.string("label", default: "")))]
        },
        LuaFunction("spiral", "data.spiral([{classes=3, per_class=100, noise=0.2, seed=0}])", """
        CS231n's spiral: classes arms of per_class 2-d points; not linearly separable.
          local d = data.spiral{classes = 3, per_class = 100}
        """) { a in
            let o = try a.options(1, allowed: ["classes", "per_class", "noise", "seed"])
            return [.dataset(try Datasets.spiral(classes: try o.integer("classes", default: 3), perClass: try o.integer("per_class", default: 100),
                                                 noise: try o.number("noise", default: 0.2), seed: UInt64(try o.integer("seed", default: 0))))]
        },
        LuaFunction("dataset", "data.dataset(inputs, labels)", "A data set from a tensor of inputs [N,…] and N labels in 1..C.") { a in
            [.dataset(try Dataset(inputs: try a.tensor(1), labels: try a.indices(2, what: "label")))]
        },
    ]

    static let methods: [LuaFunction] = [
        LuaFunction("size", "ds:size()", "The number of examples.") { a in [.integer(try a.dataset(1).count)] },
        LuaFunction("classes", "ds:classes()", "The number of classes.") { a in [.integer(try a.dataset(1).classes)] },
        LuaFunction("inputs", "ds:inputs()", "The inputs, one tensor [N,…].") { a in [.tensor(try a.dataset(1).inputs)] },
        LuaFunction("labels", "ds:labels()", "The labels, 1..C, an i32 tensor.") { a in [.tensor(try a.dataset(1).labels.add(1))] },
        LuaFunction("split", "ds:split(fraction [, {seed=0}])", """
        Two data sets: a seeded random `fraction` of the examples, and the rest
        (one validation fold, as the notes advise).
          local tr, val = train:split(0.9, {seed = 1})
        """) { a in
            let o = try a.options(3, allowed: ["seed"])
            let (x, y) = try a.dataset(1).split(try a.number(2), seed: UInt64(bitPattern: Int64(try o.integer("seed", default: 0))))
            return [.dataset(x), .dataset(y)]
        },
        LuaFunction("take", "ds:take(n)", "The first n examples (e.g. 20 for the overfitting check).") { a in
            [.dataset(try a.dataset(1).take(try a.integer(2)))]
        },
        LuaFunction("normalize", "ds:normalize([stats])", """
        (x − mean)/std per feature, with this set's statistics (returned as the
        second result) or with given ones, so validation and test use the
        training part's.
          local tr, stats = tr:normalize(); val = val:normalize(stats)
        """) { a in
            let d = try a.dataset(1)
            let (mean, std): (Tensor, Tensor)
            if a.isNoneOrNil(2) {
                (mean, std) = try d.statistics()
            } else {
                let o = try a.options(2, allowed: ["mean", "std"])
                guard let m = o.value("mean")?.tensor, let s = o.value("std")?.tensor else {
                    throw a.argumentError(2, "stats must have tensors 'mean' and 'std'")
                }
                (mean, std) = (m, s)
            }
            return [.dataset(try d.normalized(mean: mean, std: std)), .record([("mean", .tensor(mean)), ("std", .tensor(std))])]
        },
        LuaFunction("flatten", "ds:flatten()", "The same examples with inputs as [N, features].") { a in [.dataset(try a.dataset(1).flattened())] },
        LuaFunction("images", "ds:images(c, h, w)", "The same examples with inputs as [N, c, h, w].") { a in
            [.dataset(try a.dataset(1).images(channels: try a.integer(2), height: try a.integer(3), width: try a.integer(4)))]
        },
    ]

    /// For the prelude's ds:batches: a seeded order, then one batch of it at a time.
    static let primitives: [LuaFunction] = [
        .primitive("order", as: "Dataset:batches") { a in
            let d = try a.dataset(1)
            let o = try a.options(2, allowed: ["shuffle", "seed"])
            let shuffle = try o.bool("shuffle", default: false)
            let g = o.has("seed") ? Generator(seed: UInt64(bitPattern: Int64(try o.integer("seed", default: 0)))) : Generator.default
            let order = shuffle ? g.permutation(d.count) : Array(0..<d.count)
            return [.tensor(try Tensor(int32: order.map(Int32.init)))]
        },
        .primitive("gather", as: "Dataset:batches") { a in
            let d = try a.dataset(1)
            let order = try a.tensor(2)
            let start = try a.integer(3), size = try a.integer(4)
            let idx = try order.narrow(dim: 0, start: start, length: Swift.min(size, order.count - start))
            return [.tensor(try d.inputs.indexSelect(dim: 0, idx)), .tensor(try d.labels.indexSelect(dim: 0, idx).add(1))]
        },
    ]

    static let meta: [LuaFunction] = [
        LuaFunction("__tostring", "", "") { a in
            let d = try a.dataset(1)
            return [.string("Dataset: \(d.count) examples, inputs \(d.inputs.shape.dropFirst().map(String.init).joined(separator: "×")), \(d.classes) classes")]
        },
        LuaFunction("__len", "", "") { a in [.integer(try a.dataset(1).count)] },
    ]
}
