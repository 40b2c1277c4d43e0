/// Reading and setting any hyperparameter by its option name, per group:
/// what lets a schedule drive momentum, beta1 or weight decay as it drives
/// the rate (torch's OneCycleLR cycles momentum; people schedule weight
/// decay and Adam's beta1 by hand).
extension Optimizer {
    /// Each group's value of `name` ("lr", "weight_decay" or one of its rule's
    /// options, "beta1"), nil for a group whose rule has no such option.
    public func hyperparameterValues(_ name: String) -> [Double?] {
        groups.map { g in
            switch name {
            case "lr": learningRate * g.learningRateScale
            case "weight_decay": g.weightDecay
            default: g.rule.hyperparameters[name]
            }
        }
    }

    /// Sets `name` in each group that has it (values[i] for group i; nil
    /// leaves a group alone). A rule option is set by building the group's
    /// rule again from its declaration with the one option changed; an option
    /// whose change would need other state (momentum on a plain SGD) is refused.
    public func setHyperparameter(_ name: String, _ values: [Double?]) throws {
        if name == "lr" {
            if let v = values.first ?? nil { learningRate = v / groups[0].learningRateScale }
            return
        }
        for (i, value) in values.enumerated() where i < groups.count {
            guard let value else { continue }
            if name == "weight_decay" {
                guard value >= 0, value.isFinite else { throw RuntimeError(.argument, "set_hyperparameter", "weight_decay must be non-negative, got \(value)") }
                groups[i].weightDecay = value
            } else {
                groups[i].rule = try Optimizer.rule(groups[i].rule, declaredName: groups[i].declaredName ?? (declaredName == "Multi" ? nil : declaredName),
                                                     setting: name, to: value)
            }
        }
    }

    /// `rule` made again from its declaration with `name` = `value`.
    static func rule(_ rule: any UpdateRule, declaredName: String?, setting name: String, to value: Double) throws -> any UpdateRule {
        let what = declaredName ?? rule.name
        var settings = rule.hyperparameters
        guard settings[name] != nil else {
            let known = (["lr", "weight_decay"] + settings.keys.sorted()).joined(separator: ", ")
            throw RuntimeError(.argument, what, "has no hyperparameter '\(name)' (it has \(known))")
        }
        guard let kind = UpdateRules.registry.named(what) else {
            throw RuntimeError(.argument, what, "'\(name)' cannot be changed: the rule is not a registered one")
        }
        settings[name] = value
        let made = try kind.make(ConstructorArguments(layer: "optim." + what, numbers: settings))
        try made.validate()
        // the rule made again must be the same rule with one setting changed
        guard made.stateNames == rule.stateNames, made.name == rule.name, made.hyperparameters == settings else {
            throw RuntimeError(.argument, what, "'\(name)' cannot be changed during training for this rule (it would change the rule itself: make it with the setting instead)")
        }
        return made
    }
}
