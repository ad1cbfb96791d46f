"""``{% url %}`` with the reversed URLs remembered per process (a template builtin, so every template uses it).

A parent page reverses about twenty-five URLs, the same ones on every request; Django's ``reverse()``
costs 20–40 µs each. What ``reverse()`` returns depends only on its arguments, the URLconf and the
script prefix, which are all part of the key. Failures (``{% url … as u %}`` of an app not installed)
are remembered too. Only plain arguments (str, int, UUID) are remembered; anything else (a model
instance, whose text may change) goes through Django's node unchanged.
"""
import uuid

from django import template
from django.template import defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

_MAX_ENTRIES = 20000
_reversed = {}
_PLAIN = (str, int, uuid.UUID)


def cached_reverse(view_name, args, kwargs, current_app):
    key = (view_name, tuple(args), tuple(sorted(kwargs.items())), current_app, get_urlconf(), get_script_prefix())
    try:
        url = _reversed[key]
    except KeyError:
        try:
            url = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
        except NoReverseMatch as exc:
            url = exc
        if len(_reversed) >= _MAX_ENTRIES:
            _reversed.clear()
        _reversed[key] = url
    if isinstance(url, NoReverseMatch):
        raise url
    return url


class CachedURLNode(defaulttags.URLNode):
    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        if not all(isinstance(a, _PLAIN) for a in (*args, *kwargs.values())):
            return super().render(context)
        url = ""
        try:
            url = cached_reverse(view_name, args, kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = defaulttags.url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
