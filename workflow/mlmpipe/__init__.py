"""mlmpipe: the course report on multilevel models, as a reproducible pipeline.

Each module has one job, named for it (the README has the map, with the rules that call each):
``config`` (the validated config), ``fetch``, ``validation`` and ``precis`` (the data),
``cmdstan`` (where CmdStan is, its record, a fit's CSVs) and ``toolchain`` (building it),
``models`` (specs, design matrices, brms names), ``formula`` (brms formulas to brms's Stan
code and data; generates ``stan/m*.stan``), ``standata``, ``sampling`` and ``posterior``
(Stan data, CmdStan runs, the brms-named posterior), ``summary``, ``diagnostics``, ``loo`` and
``compare`` (brms-style tables), ``draws`` (tidybayes's verbs) and ``tables`` (the pipeline's
draw tables), ``figures`` (plotnine, with the figure registry), ``artifacts`` and ``report``
(the course report), ``provenance`` (records and audit), ``rulekit``, ``runinfo``, ``fileio``
and ``errors`` (shared glue). ``fitting`` holds :func:`brm`, brms's ``brm()`` in Python
(``mlmpipe.brm(formula, data, family=..., prior=...)``), loaded on first use.
"""

__version__ = "0.1.0"

__all__ = ["brm"]


def __getattr__(name: str):
    """``mlmpipe.brm`` is imported on first use, so ``import mlmpipe`` stays cheap."""
    if name == "brm":
        from mlmpipe.fitting import brm

        return brm
    raise AttributeError(f"module 'mlmpipe' has no attribute {name!r}")
