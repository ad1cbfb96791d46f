"""Markdown of news posts: rendered with ``markdown`` then sanitised with ``nh3`` (no script, no style)."""
import html as _html

import markdown
import nh3

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "h2", "h3", "h4", "blockquote", "code", "pre", "hr",
    "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}


def render_markdown(text):
    html = markdown.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    # Headings in a post start at level 2: the page's title is the only h1.
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer")


def excerpt(text, length=220):
    # nh3 returns HTML-escaped text (« &gt; »); the template escapes again, so unescape it here once.
    plain = _html.unescape(nh3.clean(markdown.markdown(text or ""), tags=set()))
    plain = " ".join(plain.split())
    return plain if len(plain) <= length else plain[:length].rsplit(" ", 1)[0] + "…"
