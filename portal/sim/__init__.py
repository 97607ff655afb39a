"""A simulated supplier base, replayed through the portal, to measure forecasts and alerts against the truth.

* :mod:`portal.sim.factory`: the pure, seeded simulator (what really happens and what suppliers post);
* :mod:`portal.sim.replay`: feeds the posts to the portal's own import service and sweep, step by step;
* :mod:`portal.sim.evaluate`: the metrics, pure functions over frames.
"""
