"""Prints Optuna's Parzen estimator log densities for the cases in
Tests/OptLabRuntimeTests/TPETests.swift (which holds them as fixed numbers).
Needs optuna (pip install optuna); the suites do not.
"""
import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe.sampler import default_weights

params = _ParzenEstimatorParameters(prior_weight=1.0, consider_magic_clip=True, consider_endpoints=False,
                                    weights=default_weights, multivariate=False)
cases = [
    ("uniform 0…10, observed 2 and 7", FloatDistribution(0, 10), [2.0, 7.0], [0.5, 2.0, 5.0, 9.5]),
    ("loguniform 1e-4…1, observed 1e-3 and 1e-2", FloatDistribution(1e-4, 1, log=True), [1e-3, 1e-2], [2e-4, 1e-3, 0.05, 0.5]),
    ("int 1…10, observed 3 and 4", IntDistribution(1, 10), [3.0, 4.0], [1.0, 3.0, 10.0]),
    ("log int 1…100, observed 2 and 50", IntDistribution(1, 100, log=True), [2.0, 50.0], [1.0, 2.0, 10.0, 100.0]),
    ("choice of 3, observed 0 twice", CategoricalDistribution(["a", "b", "c"]), [0.0, 0.0], [0.0, 1.0, 2.0]),
    ("uniform 0…10, nothing observed", FloatDistribution(0, 10), [], [1.0, 5.0]),
    ("uniform 0…1, 30 observations (weights ramp)", FloatDistribution(0, 1), [((i * 7919) % 101) / 101 for i in range(30)], [0.1, 0.5, 0.9]),
]
print(f"optuna {optuna.__version__}")
for name, dist, obs, at in cases:
    pe = _ParzenEstimator({"x": np.array(obs)}, {"x": dist}, params)
    vals = pe.log_pdf({"x": np.array(at)})
    print(name, [float(f"{v:.15g}") for v in vals])

# A joint (multivariate) case: Optuna 5's kernels are products over the parameters.
space = {"lr": FloatDistribution(1e-4, 1, log=True), "n": IntDistribution(1, 10), "act": CategoricalDistribution(["a", "b", "c"])}
pe = _ParzenEstimator({"lr": np.array([1e-3, 1e-2]), "n": np.array([3.0, 8.0]), "act": np.array([0.0, 2.0])}, space, params)
points = {"lr": np.array([1e-3, 5e-2, 1e-3]), "n": np.array([3.0, 8.0, 8.0]), "act": np.array([0.0, 2.0, 1.0])}
print("joint lr, n, act at (1e-3,3,a) (5e-2,8,c) (1e-3,8,b)", [float(f"{v:.15g}") for v in pe.log_pdf(points)])
