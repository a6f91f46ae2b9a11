"""mlmpipe: the course report on multilevel models, as a reproducible pipeline.

Modules are named for what they do: ``data`` (download, validation, precis), ``toolchain``
(a CmdStan assembled from PyPI packages), ``models`` (model specifications, design matrices,
brms names), ``fitting`` (CmdStan runs, InferenceData), ``summary`` and ``loo`` (brms-style
tables), ``draws`` (tidybayes-style draw tables), ``figures`` (plotnine), ``provenance``
(records and audit) and ``report``.
"""

__version__ = "0.1.0"
