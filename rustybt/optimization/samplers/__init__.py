"""Search strategies, one module each, behind :class:`~.base.Sampler`."""

from rustybt.optimization.samplers.base import Sampler
from rustybt.optimization.samplers.bayesian import BayesianSearch
from rustybt.optimization.samplers.grid import GridSearch
from rustybt.optimization.samplers.random import RandomSearch

__all__ = ["BayesianSearch", "GridSearch", "RandomSearch", "Sampler"]
