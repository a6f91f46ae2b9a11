"""Read brms formulas into :class:`BrmsFormula`, with R's term order and naming.

Supported: a response (``y``, ``y | trials(n)``); ``1``/``0``/``- 1`` intercepts (and brms's
``0 + Intercept``, an intercept coefficient that is not centred); variables,
``factor(x)`` and ``x.f`` (the factor of column ``x`` when the data has no ``x.f``);
interactions ``a:b`` and ``a*b``; group-level terms ``(1 + x | g)`` (correlated),
``(1 + x || g)`` (uncorrelated), several grouping factors, ``g1:g2`` and ``g1/g2`` nesting;
and the non-linear form ``["y ~ 0 + a", "a ~ 0 + x"]`` (nl = TRUE), whose main formula is
arithmetic over the non-linear parameters. Terms are ordered as R's ``terms()`` orders them:
by degree (main effects, then two-way interactions ...), and within a degree as written; the
variables of an interaction in their order of first appearance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations

from mlmpipe.formula.errors import FormulaError
from mlmpipe.formula.lexer import Token, TokenStream

UNSUPPORTED_HINT = (
    "only variables, factor(x), interactions (':', '*') and group-level terms "
    "'(... | g)' are supported"
)
NL_FUNCTIONS = ("exp", "log", "inv_logit", "sqrt", "log1p", "expm1")


@dataclass(frozen=True)
class Variable:
    """A variable of a formula: ``label`` as written (``factor(h)``), ``name`` the column or
    ``x.f`` name it reads, ``forced_factor`` for ``factor(x)``."""

    label: str
    name: str
    forced_factor: bool = False


@dataclass(frozen=True)
class Term:
    """A population-level term: one variable, or an interaction of several (R's order)."""

    variables: tuple[Variable, ...]

    @property
    def label(self) -> str:
        """R's term label (``week``, ``week:group``)."""
        return ":".join(v.label for v in self.variables)


@dataclass(frozen=True)
class LinearFormula:
    """The linear part of a formula: whether it has an intercept, and its terms in R's order."""

    intercept: bool
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class GroupTerm:
    """A group-level term ``(formula | group)``; ``factors`` are the columns of ``group``."""

    formula: LinearFormula
    group: str
    factors: tuple[str, ...]
    correlated: bool


@dataclass(frozen=True)
class BrmsFormula:
    """A parsed brms formula.

    ``population`` is None for a non-linear formula, whose main formula is ``nl_expr``
    (tokens over the non-linear parameters) and whose parameters are in ``nlpars``.
    """

    text: tuple[str, ...]
    response: str
    trials: str | int | None
    population: LinearFormula | None
    groups: tuple[GroupTerm, ...] = ()
    nl_expr: tuple[Token, ...] = ()
    nlpars: dict[str, LinearFormula] = field(default_factory=dict)

    @property
    def is_nonlinear(self) -> bool:
        """True for the ``nl = TRUE`` form."""
        return self.population is None

    @property
    def display(self) -> str:
        """The formula as one line (its parts joined by ``, ``)."""
        return ", ".join(self.text)


# --------------------------------------------------------------------------- right-hand sides


def _parse_atom(ts: TokenStream) -> Variable:
    token = ts.peek
    if token.kind == "name":
        ts.next()
        if ts.peek.kind == "op" and ts.peek.text == "(":
            return _parse_call(ts, token)
        return Variable(label=token.text, name=token.text)
    if token.kind == "op" and token.text == "(":
        raise ts.error("expected '|' or '||' in a group-level term '( ... | g)'", token.start)
    raise ts.error("expected a variable", token.start if token.kind != "end" else None)


def _parse_call(ts: TokenStream, name: Token) -> Variable:
    """Read ``f(...)``: ``factor(x)`` is a factor; any other function is unsupported."""
    ts.next()  # '('
    if name.text == "factor" and ts.peek.kind == "name" and ts.peek_at(1).text == ")":
        inner = ts.next().text
        ts.next()
        return Variable(label=f"factor({inner})", name=inner, forced_factor=True)
    depth = 1
    while depth and ts.peek.kind != "end":
        tok = ts.next()
        depth += {"(": 1, ")": -1}.get(tok.text if tok.kind == "op" else "", 0)
    if depth:
        raise ts.error(f"expected ')' to close '{name.text}('")
    text = ts.formula[name.start : ts.last_end]
    raise ts.error(f"unsupported term '{text}': {UNSUPPORTED_HINT}", name.start)


def _parse_interaction(ts: TokenStream) -> list[Variable]:
    variables = [_parse_atom(ts)]
    while ts.accept(":"):
        variables.append(_parse_atom(ts))
    return variables


def _parse_product(ts: TokenStream) -> list[list[Variable]]:
    """Read ``a:b * c ...``; return the expanded terms (``a*b`` = ``a``, ``b``, ``a:b``)."""
    factors = [_parse_interaction(ts)]
    while ts.accept("*"):
        factors.append(_parse_interaction(ts))
    terms: list[list[Variable]] = []
    for size in range(1, len(factors) + 1):
        for combo in combinations(factors, size):
            terms.append([v for part in combo for v in part])
    return terms


def _intercept_item(ts: TokenStream) -> bool | None:
    """Read ``0``, ``1``, ``-1``/``- 1`` at the current place; None when none is there."""
    token = ts.peek
    if token.kind == "number" and token.text in ("0", "1"):
        ts.next()
        return token.text == "1"
    if token.kind == "op" and token.text == "-":
        ts.next()
        nxt = ts.peek
        if nxt.kind == "number" and nxt.text in ("0", "1"):
            ts.next()
            return nxt.text == "0"
        raise ts.error("expected '1' after '-' (only '- 1', removing the intercept, is supported)")
    if token.kind == "number":
        raise ts.error(f"expected a variable, 0 or 1, not the number {token.text}", token.start)
    return None


def _parse_group(ts: TokenStream) -> list[GroupTerm]:
    """Read ``( ... | g)`` after its ``(``; ``g1/g2`` gives ``g1`` and ``g1:g2``."""
    inner = _parse_sum(ts, allow_groups=False, stop=("|", "||", ")"))
    if ts.accept("||"):
        correlated = False
    elif ts.accept("|"):
        correlated = True
    else:
        raise ts.error("expected '|' or '||' in a group-level term '( ... | g)'", ts.peek.start)
    bar = ts.tokens[ts.index - 1].text
    if ts.peek.kind != "name":
        raise ts.error(f"expected a grouping factor after '{bar}'")
    names = [ts.next().text]
    nested = False
    while ts.peek.kind == "op" and ts.peek.text in (":", "/"):
        nested = nested or ts.peek.text == "/"
        ts.next()
        if ts.peek.kind != "name":
            raise ts.error(f"expected a grouping factor after '{ts.tokens[ts.index - 1].text}'")
        names.append(ts.next().text)
    ts.expect(")", "')' to close the group-level term")
    intercept, items = inner
    formula = _linear_formula(intercept, items)
    chains = [names[: i + 1] for i in range(len(names))] if nested else [names]
    return [
        GroupTerm(formula=formula, group=":".join(c), factors=tuple(c), correlated=correlated)
        for c in chains
    ]


def _parse_sum(ts: TokenStream, *, allow_groups: bool, stop: tuple[str, ...]):
    """Read terms separated by ``+``; return (intercept or None, [terms], [group terms])."""
    intercept: bool | None = None
    terms: list[list[Variable]] = []
    groups: list[GroupTerm] = []
    first = True
    while True:
        # terms are joined by '+'; '- 1' (read by _intercept_item) needs none
        minus = ts.peek.kind == "op" and ts.peek.text == "-"
        if not first and not minus and not ts.accept("+"):
            break
        first = False
        flag = _intercept_item(ts)
        if flag is not None:
            intercept = flag
        elif ts.peek.kind == "op" and ts.peek.text == "(" and allow_groups:
            ts.next()
            groups.extend(_parse_group(ts))
        else:
            terms.extend(_parse_product(ts))
    token = ts.peek
    if not (token.kind == "end" or (token.kind == "op" and token.text in stop)):
        raise ts.error(f"expected '+' or the end of the formula, not {token.text!r}", token.start)
    if allow_groups:
        return intercept, terms, groups
    return intercept, terms


def _linear_formula(intercept: bool | None, items: list[list[Variable]]) -> LinearFormula:
    """Order terms as R's ``terms()`` does and drop repeats (``a:b`` equals ``b:a``)."""
    unique: list[list[Variable]] = []
    seen: set[frozenset[str]] = set()
    for item in items:
        variables = list({v.label: v for v in item}.values())  # a:a is a
        key = frozenset(v.label for v in variables)
        if key not in seen:
            seen.add(key)
            unique.append(variables)
    ordered = sorted(unique, key=len)  # stable: by degree, then as written
    rank: dict[str, int] = {}
    for item in ordered:
        for v in item:
            rank.setdefault(v.label, len(rank))
    terms = tuple(Term(tuple(sorted(item, key=lambda v: rank[v.label]))) for item in ordered)
    return LinearFormula(intercept=True if intercept is None else intercept, terms=terms)


# --------------------------------------------------------------------------- whole formulas


def _parse_response(ts: TokenStream) -> tuple[str, str | int | None]:
    if ts.peek.kind != "name":
        raise ts.error("expected the response variable before '~'", ts.peek.start)
    response = ts.next().text
    trials: str | int | None = None
    if ts.accept("|"):
        tok = ts.peek
        if tok.kind != "name" or tok.text != "trials" or ts.peek_at(1).text != "(":
            raise ts.error("expected 'trials(n)' after '|' (the only addition term supported)")
        ts.next()
        ts.next()
        arg = ts.next()
        if arg.kind == "name":
            trials = arg.text
        elif arg.kind == "number" and arg.text.isdigit():
            trials = int(arg.text)
        else:
            raise ts.error("expected a variable or a whole number in trials()", arg.start)
        ts.expect(")", "')' to close trials(")
    ts.expect("~", "'~' after the response")
    return response, trials


def _parse_nl_expression(ts: TokenStream) -> tuple[Token, ...]:
    """Read the main formula of a non-linear model: arithmetic over parameters and numbers."""
    tokens: list[Token] = []
    depth = 0
    while ts.peek.kind != "end":
        tok = ts.next()
        if tok.kind == "op" and tok.text in ("|", "||", "~", ":", ","):
            raise ts.error(f"unexpected {tok.text!r} in a non-linear formula", tok.start)
        depth += {"(": 1, ")": -1}.get(tok.text if tok.kind == "op" else "", 0)
        if depth < 0:
            raise ts.error("unbalanced ')'", tok.start)
        tokens.append(tok)
    if depth:
        raise ts.error("expected ')'")
    if not tokens:
        raise ts.error("expected a non-linear expression after '~'")
    return tuple(tokens)


def _parse_main(text: str) -> BrmsFormula:
    ts = TokenStream(text)
    response, trials = _parse_response(ts)
    intercept, items, groups = _parse_sum(ts, allow_groups=True, stop=())
    if not items and intercept is None and not groups:
        raise ts.error("expected a term after '~'")
    return BrmsFormula(
        text=(text,),
        response=response,
        trials=trials,
        population=_linear_formula(intercept, items),
        groups=tuple(groups),
    )


def _parse_nonlinear(texts: Sequence[str]) -> BrmsFormula:
    ts = TokenStream(texts[0])
    response, trials = _parse_response(ts)
    expr = _parse_nl_expression(ts)
    nlpars: dict[str, LinearFormula] = {}
    for text in texts[1:]:
        sub = TokenStream(text)
        if sub.peek.kind != "name":
            raise sub.error("expected a non-linear parameter name before '~'", 0)
        name = sub.next().text
        sub.expect("~", "'~' after the non-linear parameter's name")
        intercept, items, groups = _parse_sum(sub, allow_groups=True, stop=())
        if groups:
            raise sub.error(
                "group-level terms in a non-linear parameter's formula are not supported", 0
            )
        nlpars[name] = _linear_formula(intercept, items)
    for tok in expr:
        if tok.kind == "name" and tok.text not in nlpars and tok.text not in NL_FUNCTIONS:
            raise ts.error(
                f"'{tok.text}' is not a non-linear parameter (give it a formula such as "
                f'"{tok.text} ~ 1"; covariates in the non-linear formula are not supported)',
                tok.start,
            )
    return BrmsFormula(
        text=tuple(texts),
        response=response,
        trials=trials,
        population=None,
        nl_expr=expr,
        nlpars=nlpars,
    )


def parse_formula(formula: str | Sequence[str]) -> BrmsFormula:
    """Return the :class:`BrmsFormula` of a brms formula string, or of a list of strings
    (the non-linear form: the main formula first, then one ``par ~ ...`` per parameter).

    Raises:
        FormulaError: the formula cannot be read; the message names it, the position and
            what was expected.
    """
    if isinstance(formula, BrmsFormula):
        return formula
    texts = [formula] if isinstance(formula, str) else list(formula)
    if not texts or not all(isinstance(t, str) for t in texts):
        raise FormulaError(f"formula {formula!r}: expected a string or a list of strings")
    if len(texts) == 1:
        return _parse_main(texts[0])
    return _parse_nonlinear(texts)
