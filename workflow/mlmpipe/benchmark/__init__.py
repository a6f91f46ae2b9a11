"""The pipeline's benchmark: ``python -m mlmpipe.benchmark`` (README: "Benchmark").

One run measures, on this machine, minutes apart:

- :mod:`~mlmpipe.benchmark.setup`: the virtualenv from ``requirements.lock`` and the CmdStan
  toolchain, each built from nothing;
- :mod:`~mlmpipe.benchmark.models`: per model, compile time, sampling time, the smallest bulk
  and tail ESS over the parameters brms reports (``b_``, ``sd_``, ``cor_``, ``sigma``,
  ``r_``), ESS per second of sampling and the sampler's peak resident memory;
- :mod:`~mlmpipe.benchmark.pipeline`: ``snakemake --cores 4`` in a scratch copy of the
  checkout, cold through the rendered report, then a no-op, a prior change in m3, an edit
  of ``stan/m3.stan`` and the report stage alone, each with wall and CPU time and its three
  slowest jobs;
- :mod:`~mlmpipe.benchmark.brms`: when R has brms, the lecture's five fits by brms
  (``workflow/scripts/benchmark_brms.R``) and the ratios ours / brms.

:mod:`~mlmpipe.benchmark.table` prints the table and writes ``results/benchmark/benchmark.json``.
"""
