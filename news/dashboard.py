"""The latest news on the home page (for families) and on the public welcome page."""
from portal.dashboard import register_block

from .selectors import home_posts


@register_block(public=True)
def latest_news(request):
    return {"order": 90, "template": "news/_home_block.html", "posts": home_posts(request, limit=3)}
