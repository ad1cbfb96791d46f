"""The latest news on the home page (for families) and on the public welcome page."""
from portal.dashboard import register_block

from .rendering import excerpt
from .selectors import posts_for_request


@register_block(public=True)
def latest_news(request):
    posts = posts_for_request(request, limit=3)
    return {
        "order": 90, "template": "news/_home_block.html",
        "posts": [{"post": p, "excerpt": excerpt(p.body, 160)} for p in posts],
    }
