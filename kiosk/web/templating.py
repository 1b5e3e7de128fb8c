"""Templates compiled once per language, with their fixed texts already translated
and their fixed addresses and icons already written out.

A kiosk page says a dozen fixed things ("Back", "Finish", "Type your A-number"…).
Looked up at render time, each is a catalog lookup plus Jinja's call machinery,
and together they were a tenth of a page's time. Catalogs do not change while the
app runs, so each language gets its own overlay of the Jinja environment (its own
template cache) in which every ``_("literal")`` was replaced, when the template
was compiled, by the translated text. Calls whose message is not a literal stay
as they are and are translated at render time, as before.

The result is what Jinja's i18n extension with ``newstyle=True`` renders: the
translation is marked safe (translators are trusted), and keyword arguments are
escaped and formatted into it with ``%``.

In the same pass, a call with literal arguments to a global marked ``@constant``
(the address of a static file, an icon) is made once and its result written into
the template: such a global depends on the app alone, never on the request.
Overlays are only used inside a request, so these calls may build addresses.

A name the template binds itself (``{% set %}``, a loop target, a macro or its
argument, an import) is never folded anywhere in that template: there it may not
mean the global. Only Jinja's public API is used: ``parse``, ``compile`` and
``overlay``.
"""
from __future__ import annotations

from flask import has_request_context
from flask.templating import Environment
from jinja2 import nodes
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

GETTEXT_NAMES = ("_", "gettext")


def constant(function):
    """Marks a template global whose result depends on its arguments and the app, never on the
    request or the language: a call with literal arguments is made when the template is compiled."""
    function.template_constant = True
    return function


def _formatted(message, **variables):
    """``message % variables``; a safe message escapes the variables first."""
    return message % variables


class LocalizedEnvironment(Environment):
    """Flask's environment, handing out templates of the request's language."""

    catalog = None  # set on the per-language overlays only
    folds = True  # False on the overlay that renders templates as written

    def __init__(self, app, **options):
        super().__init__(app, **options)
        self.globals["_formatted"] = _formatted
        self.overlays: dict[str, LocalizedEnvironment] = {}

    def get_template(self, name, parent=None, globals=None):
        if self.catalog is None and self.folds and has_request_context():
            return self.for_language().get_template(name, parent, globals)
        return super().get_template(name, parent, globals)

    def for_language(self) -> LocalizedEnvironment:
        """The overlay of the request's language, made on first use."""
        from kiosk.web import i18n  # i18n registers this environment's gettext, so it comes later

        code = i18n.current_locale()
        overlay = self.overlays.get(code)
        if overlay is None:
            overlay = self.overlay(cache_size=400)  # a cache of its own: none of the base's unfolded templates
            overlay.catalog = i18n.catalog(code)
            self.overlays[code] = overlay
        return overlay

    def make_globals(self, d):
        """A template's globals as a plain dict, not Jinja's ChainMap over the environment's: every
        render copies them into its context, and copying a ChainMap goes through Python code for
        each of the ~30 names (about 15 us a kiosk page). Safe because the app's globals are all
        registered before the first request (Flask refuses setup after it), and overlays only
        load templates inside requests. make_globals is public Environment API."""
        if self.catalog is None:
            return super().make_globals(d)
        return {**self.globals, **(d or {})}

    def as_written(self) -> LocalizedEnvironment:
        """Templates exactly as written, every text translated at render time: what the folded
        ones must render identically to (tests/test_templating.py)."""
        overlay = self.overlays.get("as written")
        if overlay is None:
            overlay = self.overlays["as written"] = self.overlay(cache_size=400)
            overlay.folds = False
        return overlay

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        if self.catalog is not None and isinstance(source, str):
            tree = self.parse(source, name, filename)
            source = _Folder(self.catalog, self.globals, bound_names(tree)).visit(tree)
        return super().compile(source, name, filename, raw, defer_init)


def bound_names(tree: nodes.Template) -> set[str]:
    """Every name the template binds anywhere: assignments, loop targets, macros and their
    arguments, imports. Over the whole template rather than per scope: never folding such a
    name costs a lookup at render time, folding it wrongly would change the page."""
    bound = {name.name for name in tree.find_all(nodes.Name) if name.ctx in ("store", "param")}
    for node in tree.find_all((nodes.Macro, nodes.Import, nodes.FromImport)):
        if isinstance(node, nodes.Macro):
            bound.add(node.name)
        elif isinstance(node, nodes.Import):
            bound.add(node.target)
        else:
            bound.update(name if isinstance(name, str) else name[1] for name in node.names)
    return bound


def _literal(call: nodes.Call) -> bool:
    """Whether every argument of the call is written out in the template."""
    return (call.dyn_args is None and call.dyn_kwargs is None and all(isinstance(a, nodes.Const) for a in call.args)
            and all(isinstance(k.value, nodes.Const) for k in call.kwargs))


class _Folder(NodeTransformer):
    """Replaces ``_("literal", **variables)`` with its translation (formatted at render time if need
    be), and a constant global called with literals by its result, unless the template binds the name."""

    def __init__(self, catalog, template_globals, bound: set[str]):
        self.catalog = catalog
        self.globals = template_globals
        self.bound = bound

    def visit_Call(self, call: nodes.Call) -> nodes.Node:
        call = self.generic_visit(call)
        if not isinstance(call.node, nodes.Name) or call.node.name in self.bound:
            return call
        if call.node.name in GETTEXT_NAMES:
            return self._translated(call)
        function = self.globals.get(call.node.name)
        if getattr(function, "template_constant", False) and _literal(call):
            value = function(*(a.value for a in call.args), **{k.key: k.value.value for k in call.kwargs})
            if isinstance(value, Markup):
                return nodes.MarkSafe(nodes.Const(str(value), lineno=call.lineno), lineno=call.lineno)
            return nodes.Const(value, lineno=call.lineno)
        return call

    def _translated(self, call: nodes.Call) -> nodes.Node:
        if not (len(call.args) == 1 and isinstance(call.args[0], nodes.Const) and isinstance(call.args[0].value, str)
                and call.dyn_args is None and call.dyn_kwargs is None):
            return call
        translated = self.catalog.ugettext(call.args[0].value)
        if call.kwargs:
            message = nodes.MarkSafeIfAutoescape(nodes.Const(translated, lineno=call.lineno), lineno=call.lineno)
            return nodes.Call(nodes.Name("_formatted", "load", lineno=call.lineno), [message], call.kwargs,
                              None, None, lineno=call.lineno)
        try:
            translated = translated % {}  # as newstyle gettext formats it: "%%" becomes "%"
        except (TypeError, ValueError):
            return call  # a malformed translation fails at render time, where it always did
        return nodes.MarkSafeIfAutoescape(nodes.Const(translated, lineno=call.lineno), lineno=call.lineno)
