# Figures stage: one rule per lecture figure, each drawn with plotnine by
# mlmpipe.figures from the draws and tables, written as PNG (config figures.dpi) and SVG,
# each with a provenance record (<output>.prov.json). Captions for `snakemake --report` are
# workflow/report/<figure>.rst (paths in report() are relative to this file).
#
# Every rule also lists the figures package's sources as input, so a change to a figure's
# code redraws it, and its provenance record names the code that drew it.


FIGURE_CODE = sorted(
    str(p.relative_to(Path(workflow.basedir)))
    for p in (Path(workflow.basedir) / "workflow" / "mlmpipe" / "figures").glob("*.py")
)


# Observed con against week for the 20 highlighted people.
rule figure_data_trajectories:
    input:
        data="data/processed/mlm.parquet",
        code=FIGURE_CODE,
    output:
        png=report(
            "results/figures/data_trajectories.png",
            caption="../report/data_trajectories.rst",
            category="Figures",
        ),
        svg="results/figures/data_trajectories.svg",
    params:
        figure="data_trajectories",
        figures=config["figures"],
        highlight=config["highlight"],
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/figures/data_trajectories.log",
    script:
        "../scripts/render_figure.py"


# Expected con per person, no pooling (m1) above partial pooling (m2).
rule figure_pooling_intervals:
    input:
        m1_epred="results/draws/m1_epred_people.parquet",
        m2_epred="results/draws/m2_epred_people.parquet",
        code=FIGURE_CODE,
    output:
        png=report(
            "results/figures/pooling_intervals.png",
            caption="../report/pooling_intervals.rst",
            category="Figures",
        ),
        svg="results/figures/pooling_intervals.svg",
    params:
        figure="pooling_intervals",
        figures=config["figures"],
        highlight=config["highlight"],
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/figures/pooling_intervals.log",
    script:
        "../scripts/render_figure.py"


# Posterior means per person, no pooling and partial pooling.
rule figure_pooling_means:
    input:
        pooling_means="results/tables/pooling_means.csv",
        code=FIGURE_CODE,
    output:
        png=report(
            "results/figures/pooling_means.png",
            caption="../report/pooling_means.rst",
            category="Figures",
        ),
        svg="results/figures/pooling_means.svg",
    params:
        figure="pooling_means",
        figures=config["figures"],
        highlight=config["highlight"],
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/figures/pooling_means.log",
    script:
        "../scripts/render_figure.py"


# Posterior of b_Intercept + r_id (m2) for the highlighted people.
rule figure_person_means:
    input:
        draws="results/draws/m2_person_means.parquet",
        data="data/processed/mlm.parquet",
        code=FIGURE_CODE,
    output:
        png=report(
            "results/figures/person_means.png",
            caption="../report/person_means.rst",
            category="Figures",
        ),
        svg="results/figures/person_means.svg",
    params:
        figure="person_means",
        figures=config["figures"],
        highlight=config["highlight"],
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/figures/person_means.log",
    script:
        "../scripts/render_figure.py"


# Partial-pooling means beside raw means for the highlighted people.
rule figure_shrinkage:
    input:
        person_means="results/tables/m2_person_means.csv",
        data="data/processed/mlm.parquet",
        code=FIGURE_CODE,
    output:
        png=report(
            "results/figures/shrinkage.png",
            caption="../report/shrinkage.rst",
            category="Figures",
        ),
        svg="results/figures/shrinkage.svg",
    params:
        figure="shrinkage",
        figures=config["figures"],
        highlight=config["highlight"],
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/figures/shrinkage.log",
    script:
        "../scripts/render_figure.py"


# Expected values and predictions (m2) for highlight.predictions.
rule figure_expected_vs_predicted:
    input:
        epred="results/draws/m2_epred_selected.parquet",
        predicted="results/draws/m2_predicted_selected.parquet",
        code=FIGURE_CODE,
    output:
        png=report(
            "results/figures/expected_vs_predicted.png",
            caption="../report/expected_vs_predicted.rst",
            category="Figures",
        ),
        svg="results/figures/expected_vs_predicted.svg",
    params:
        figure="expected_vs_predicted",
        figures=config["figures"],
        highlight=config["highlight"],
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/figures/expected_vs_predicted.log",
    script:
        "../scripts/render_figure.py"


# Expected con for new people (m2, new levels allowed).
rule figure_new_people:
    input:
        epred="results/draws/m2_epred_new_people.parquet",
        code=FIGURE_CODE,
    output:
        png=report(
            "results/figures/new_people.png",
            caption="../report/new_people.rst",
            category="Figures",
        ),
        svg="results/figures/new_people.svg",
    params:
        figure="new_people",
        figures=config["figures"],
        highlight=config["highlight"],
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/figures/new_people.log",
    script:
        "../scripts/render_figure.py"


# m3's expected con against week for highlight.trajectories.
rule figure_m3_trajectories:
    input:
        trajectories="results/tables/m3_epred_trajectories.csv",
        code=FIGURE_CODE,
    output:
        png=report(
            "results/figures/m3_trajectories.png",
            caption="../report/m3_trajectories.rst",
            category="Figures",
        ),
        svg="results/figures/m3_trajectories.svg",
    params:
        figure="m3_trajectories",
        figures=config["figures"],
        highlight=config["highlight"],
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/figures/m3_trajectories.log",
    script:
        "../scripts/render_figure.py"


# m4's expected con against week, coloured by group.
rule figure_m4_trajectories:
    input:
        trajectories="results/tables/m4_epred_trajectories.csv",
        code=FIGURE_CODE,
    output:
        png=report(
            "results/figures/m4_trajectories.png",
            caption="../report/m4_trajectories.rst",
            category="Figures",
        ),
        svg="results/figures/m4_trajectories.svg",
    params:
        figure="m4_trajectories",
        figures=config["figures"],
        highlight=config["highlight"],
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/figures/m4_trajectories.log",
    script:
        "../scripts/render_figure.py"
