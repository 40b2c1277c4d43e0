/// The search samplers (`hp.search{method = "<name>"}`): adding one is its
/// file in Search/Samplers (its `SearchSampler` and `kind`) and one line here.
public enum Samplers {
    public static let registry = Registry<any SearchSampler, SamplerTraits>([
        RandomSampler.kind, TPESampler.kind, GridSampler.kind,
    ])

    public static var all: [SamplerKind] { registry.all }
}
