/// The built-in schedules (`optim.<name>(opt, {...})` in Lua): adding one is
/// its file in Optim/Schedules (its `ScheduleRule` and `kind`) and one line here.
public enum Schedules {
    public static let registry = Registry<any ScheduleRule, ScheduleTraits>([
        StepDecay.kind, ExponentialDecay.kind, InverseDecay.kind, WarmupCosine.kind, Plateau.kind,
        LinearSchedule.kind, ConstantFactor.kind, MultiStep.kind, Polynomial.kind, Cosine.kind, CosineRestarts.kind,
        Cyclic.kind, OneCycle.kind, WSD.kind,
    ])

    public static var all: [ScheduleKind] { registry.all }
}
