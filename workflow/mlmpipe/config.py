"""Check the pipeline's configuration against its JSON schema, with messages that name the key.

The Snakefile calls :func:`validate_config` before any rule is defined, so an invalid
``config/config.yaml`` (or ``--config`` override) stops the run before any job starts.
Snakemake's own ``snakemake.utils.validate`` reports only the first problem, followed by a
dump of the whole schema and config; this module reports every problem, one line each::

    config: models.m2.iter: 'abc' is not of type 'integer' (Iterations per chain, ...)

Like Snakemake's validator it fills in the schema's ``default`` values for keys the config
leaves out, so code downstream can rely on them.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

from mlmpipe.errors import MlmpipeError

SCHEMA_PATH = Path("workflow/schemas/config.schema.yaml")
"""Where the schema lives, relative to the repository root."""


class ConfigError(MlmpipeError, ValueError):
    """Raised when the configuration does not match its schema; the message lists every
    problem on its own line, each starting with the dotted key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        lines = "\n".join(f"  config: {p}" for p in problems)
        super().__init__(f"invalid configuration ({count}):\n{lines}")


def load_schema(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the schema at ``path`` (YAML or JSON) as a dict.

    Raises FileNotFoundError when it does not exist and ValueError when it is not a mapping.
    """
    text = Path(path).read_text(encoding="utf-8")
    schema = yaml.safe_load(text)
    if not isinstance(schema, dict):
        raise ValueError(f"{path}: a schema must be a mapping, not {type(schema).__name__}")
    return schema


def _with_defaults(validator_class: type) -> type:
    """Return ``validator_class`` extended to fill in ``default`` values while validating
    (as Snakemake's validator does: the default is set before the property is checked)."""
    check_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator: Any, properties: Mapping[str, Any], instance: Any, schema: Any):
        if validator.is_type(instance, "object"):
            for name, subschema in properties.items():
                if isinstance(subschema, Mapping) and "default" in subschema:
                    instance.setdefault(name, _copy(subschema["default"]))
        yield from check_properties(validator, properties, instance, schema)

    return validators.extend(validator_class, {"properties": set_defaults})


def _copy(value: Any) -> Any:
    """Return a deep copy of a JSON-like default, so configs never share a default list."""
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def dotted(path: Any) -> str:
    """Return a JSON path (``deque(['models', 'm2', 'iter'])``) as ``models.m2.iter``
    (list positions as ``[0]``); the empty path is ``<top level>``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<top level>"


def _join(parent: str, key: Any) -> str:
    return str(key) if parent == "<top level>" else f"{parent}.{key}"


def _describe(error: ValidationError) -> str:
    """Return one line for ``error``: the dotted key, what is wrong and what was expected."""
    where = dotted(error.absolute_path)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        sub = schema.get("properties", {}).get(missing, {})
        about = f" ({_first_sentence(sub['description'])})" if "description" in sub else ""
        return f"{_join(where, missing)}: required key is missing{about}"
    if error.validator == "additionalProperties" and schema.get("additionalProperties") is False:
        allowed = ", ".join(schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(schema.get("properties", {})))
        return "; ".join(
            f"{_join(where, key)}: unknown key (expected one of: {allowed})" for key in extra
        )
    if "propertyNames" in error.relative_schema_path:
        names = schema.get("enum")
        if error.validator == "enum" and names:
            expected = ", ".join(str(n) for n in names)
            return f"{_join(where, error.instance)}: unknown key (expected one of: {expected})"
        return f"{_join(where, error.instance)}: not a valid key: {error.message}"
    about = schema.get("description")
    return f"{where}: {error.message}" + (f" ({_first_sentence(about)})" if about else "")


def _first_sentence(text: str) -> str:
    """Return the first sentence of ``text`` on one line, without its final period."""
    text = " ".join(str(text).split())
    end = text.find(". ")
    return (text if end < 0 else text[:end]).rstrip(".")


def _schema_errors(config: Any, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    validator = _with_defaults(Draft202012Validator)(dict(schema))
    yield from validator.iter_errors(config)


def consistency_problems(config: Mapping[str, Any]) -> list[str]:
    """Return what the schema cannot express: ``warmup`` below ``iter`` for every model,
    LOO comparisons and lecture roles that name defined models, and formulas and prior
    strings that read (:func:`formula_problems`). Each problem names the dotted key."""
    problems: list[str] = []
    models = config.get("models") or {}
    for name, model in models.items():
        if not isinstance(model, Mapping):
            continue
        iters, warmup = model.get("iter"), model.get("warmup")
        if isinstance(iters, int) and isinstance(warmup, int) and warmup >= iters:
            problems.append(
                f"models.{name}.warmup: {warmup} must be less than models.{name}.iter ({iters})"
            )
    for comparison, names in (config.get("loo_compare") or {}).items():
        for position, model in enumerate(names if isinstance(names, list) else []):
            if model not in models:
                known = ", ".join(models)
                problems.append(
                    f"loo_compare.{comparison}[{position}]: {model!r} is not a model "
                    f"(models: {known})"
                )
    for role, model in (config.get("lecture") or {}).items():
        if isinstance(model, str) and model not in models:
            problems.append(
                f"lecture.{role}: {model!r} is not a model (models: {', '.join(models)})"
            )
    return problems + formula_problems(config)


_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _convert_command_line_string(config: MutableMapping[str, Any], error: ValidationError) -> bool:
    """Replace a string that reads as the number, boolean or null the schema expects at the
    place of a type ``error`` by that value; return whether it did.

    Snakemake parses the values inside a mapping given on its command line
    (``--config 'data={"retries": 0}'``) as strings; this gives them the type a YAML file
    would. A string that does not read as an expected type (``"abc"``) is left alone.
    """
    if error.validator != "type" or not isinstance(error.instance, str) or not error.path:
        return False
    try:
        value = yaml.safe_load(error.instance)
    except yaml.YAMLError:
        return False
    expected = error.validator_value
    expected = [expected] if isinstance(expected, str) else list(expected)
    if not any(_JSON_TYPES.get(kind, lambda v: False)(value) for kind in expected):
        return False
    *parents, last = error.absolute_path
    node: Any = config
    for part in parents:
        node = node[part]
    node[last] = value
    return True


def validate_config(
    config: MutableMapping[str, Any], schema_path: str | os.PathLike[str] = SCHEMA_PATH
) -> MutableMapping[str, Any]:
    """Check ``config`` against the schema at ``schema_path`` and fill in its defaults.

    Returns ``config`` itself, with the schema's defaults set for missing keys, and strings
    from Snakemake's command line that read as the number, boolean or null the schema expects
    converted to it (``--config 'data={"retries": 0}'`` gives the string ``"0"``). Raises
    ConfigError listing every problem (one line each, naming the dotted key, what was wrong
    and what was expected) when the config does not match the schema or is inconsistent
    (a model's ``warmup`` not below its ``iter``, a LOO comparison naming an unknown model).
    """
    schema = load_schema(schema_path)
    while True:
        errors = sorted(_schema_errors(config, schema), key=lambda e: [str(p) for p in e.path])
        if not any(_convert_command_line_string(config, error) for error in errors):
            break
    problems = [_describe(error) for error in errors]
    if not problems:
        problems = consistency_problems(config)
    if problems:
        raise ConfigError(list(dict.fromkeys(problems)))
    return config


def stan_file_problems(config: Mapping[str, Any], roots: Sequence[Path]) -> list[str]:
    """Return a problem for every model whose ``stan`` key names a program in none of
    ``roots`` (the working directory, then the repository). A model without the key uses
    ``stan/<name>.stan`` when it exists and a generated program otherwise."""
    problems = []
    for name, model in (config.get("models") or {}).items():
        if "stan" not in model:
            continue
        stan = Path(model["stan"])
        candidates = [stan] if stan.is_absolute() else [root / stan for root in roots]
        if not any(path.is_file() for path in candidates):
            where = f"models.{name}.stan" if "stan" in model else f"models.{name}"
            problems.append(
                f"{where}: the Stan program {stan} does not exist "
                f"(looked in: {', '.join(str(p.parent) for p in candidates)})"
            )
    return problems


def data_ids(csv_path: str | os.PathLike[str]) -> set[int] | None:
    """Return the ids in the ``id`` column of the CSV at ``csv_path``, or None when the file
    is absent or cannot be read that simply (the data stage then reports its problems)."""
    try:
        with open(csv_path, newline="", encoding="utf-8-sig") as handle:
            rows = csv.DictReader(handle)
            return {int(float(row["id"])) for row in rows if row.get("id") not in (None, "")}
    except (OSError, KeyError, ValueError, TypeError, UnicodeDecodeError, csv.Error):
        return None


def highlight_problems(config: Mapping[str, Any], ids: set[int]) -> list[str]:
    """Return a problem for every explicit ``highlight`` id that is not among ``ids``."""
    problems = []
    for key, entry in (config.get("highlight") or {}).items():
        if not isinstance(entry, list):
            continue
        for position, person in enumerate(entry):
            if isinstance(person, int) and person not in ids:
                problems.append(
                    f"highlight.{key}[{position}]: id {person} is not in the data "
                    f"({len(ids)} people, ids {min(ids)} to {max(ids)})"
                )
    return problems


def formula_problems(config: Mapping[str, Any]) -> list[str]:
    """Return a problem for every model whose formula or a prior string cannot be read
    (each names the model's key, the model and the term)."""
    from mlmpipe.formula import FormulaError, parse_formula
    from mlmpipe.models import prior_families

    problems = []
    for name, model in (config.get("models") or {}).items():
        formula = model["formula"]
        try:
            parse_formula(formula if isinstance(formula, str) else list(formula))
        except FormulaError as error:
            problems.append(f"models.{name}.formula: model {name}: {error}")
        try:
            prior_families(model.get("priors") or {})
        except FormulaError as error:
            problems.append(f"models.{name}.priors: model {name}: {error}")
    return problems


def _interface(code: str) -> list[str]:
    """A Stan program's data and parameters blocks, comments and blank lines left out: what
    the formula, family and prior families decide (a hand edit elsewhere is the user's)."""
    out, block = [], ""
    for line in code.splitlines():
        text = line.split("//", 1)[0].strip()
        if text.endswith("{") and not line.startswith(" "):
            block = text[:-1].strip()
        elif block in ("data", "parameters") and text and text != "}":
            out.append(f"{block}: {text}")
    return out


def stale_program_problem(name: str, spec: Any, model: Any, repository: Path) -> str | None:
    """A problem when the checked-in ``stan/<name>.stan`` (not one the config names with
    ``stan:``) does not declare the data and parameters of the model's formula, family and
    prior families (it was generated from others)."""
    from mlmpipe.formula.stancode import generate

    path = repository / spec.stan_file
    if spec.generated or spec.stan_file != f"stan/{name}.stan" or not path.is_file():
        return None
    if _interface(path.read_text(encoding="utf-8")) == _interface(generate(model)):
        return None
    return (
        f"models.{name}: model {name}: {spec.stan_file} does not declare the data and "
        "parameters of its formula, family and priors' families (it was written for others); "
        "regenerate it with "
        f"`python -m mlmpipe stancode --model {name} --data <mlm.csv> --output "
        f"{spec.stan_file}`, or delete it to have the pipeline generate results/{name}/model.stan"
    )


def data_problems(config: Mapping[str, Any], data: Any, repository: Path = Path(".")) -> list[str]:
    """Return what only the data shows: a model whose formula names an unknown variable, a
    factor with one level, a response its family cannot have, a prior key it has no
    parameter for, a checked-in program written for another formula
    (:func:`stale_program_problem`); and a ``loo_compare`` group whose models are not fitted
    to the same rows (the rows left after dropping those with a missing value in a formula
    variable)."""
    from mlmpipe.formula import FormulaError, ModelInputError, build_model
    from mlmpipe.models import load_specs

    problems, rows = [], {}
    for name, spec in load_specs(config, repository).items():
        try:
            model = build_model(spec.formula_arg, data, spec.family, dict(spec.priors))
        except (FormulaError, ModelInputError) as error:
            problems.append(f"models.{name}: model {name}: {error}")
            continue
        problems += [p for p in [stale_program_problem(name, spec, model, repository)] if p]
        rows[name] = model.frame.rows
    for group, names in (config.get("loo_compare") or {}).items():
        fitted = [n for n in names if n in rows]
        for other in fitted[1:]:
            if rows[other] != rows[fitted[0]]:
                only = sorted(set(rows[fitted[0]]) ^ set(rows[other]))
                problems.append(
                    f"loo_compare.{group}: {other} is fitted to {len(rows[other])} rows and "
                    f"{fitted[0]} to {len(rows[fitted[0]])} (they differ in {len(only)} rows, "
                    f"the first data row {only[0] + 2}); LOO compares only models fitted to "
                    "the same rows"
                )
    return problems


def read_data_here(source: Path, groups: Sequence[str] | None = None) -> Any:
    """The data set at ``source`` as the pipeline's data stage reads it (checked and typed,
    :func:`mlmpipe.validation.read_mlm_csv`), or None when it has a problem: the data stage
    then reports it, with its own messages."""
    from mlmpipe.validation import DEFAULT_GROUPS, read_mlm_csv

    try:
        return read_mlm_csv(source, groups=groups or DEFAULT_GROUPS)
    except (OSError, ValueError, MlmpipeError):
        return None


def check_inputs(config: Mapping[str, Any], *, repository: Path) -> None:
    """Check what a validated config names outside itself, before any job runs: every
    model's formula and priors can be read, every ``stan`` program exists (in the working
    directory or ``repository``), and, when the data is already here (``data.local_copy``,
    else ``data/raw/mlm.csv``), every model can be built from it (:func:`data_problems`) and
    every highlighted id is in it.

    Raises:
        ConfigError: naming the key of each problem.
    """
    problems = stan_file_problems(config, [Path.cwd(), repository])
    local = (config.get("data") or {}).get("local_copy")
    source = Path(local).expanduser() if local else Path("data/raw/mlm.csv")
    if local and not source.is_absolute():
        source = repository / source
    ids = data_ids(source) if source.is_file() else None
    if ids:
        problems += highlight_problems(config, ids)
        groups = (config.get("data") or {}).get("groups")
        data = read_data_here(source, groups) if not problems else None
        if data is not None:
            problems += data_problems(config, data, repository)
    if problems:
        raise ConfigError(problems)
