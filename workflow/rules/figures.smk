# Figures stage: one rule draws every lecture figure of the registry
# (workflow/mlmpipe/figures/registry.py: its inputs, plotting function and caption) with
# plotnine, as PNG (config figures.dpi) and SVG, each with a provenance record
# (<output>.prov.json). Adding a figure is one registry entry and one plotting function.
# The rule also lists the figures package's sources as input, so a change to the drawing
# code redraws the figures, and their records name the code that drew them.


rule figure:
    input:
        unpack(figure_inputs),
    output:
        png=report(
            "results/figures/{figure}.png",
            caption="../report/figure.rst",
            category="Figures",
        ),
        svg="results/figures/{figure}.svg",
    params:
        figure="{figure}",
        caption=lambda wildcards: FIGURES[wildcards.figure].caption,
        figures=config["figures"],
        highlight=config["highlight"],
    wildcard_constraints:
        figure="|".join(FIGURES),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/figures/{figure}.log",
    script:
        "../scripts/render_figure.py"
