"""A link to the week's menus on the home page."""
from portal.dashboard import register_block


@register_block
def menus_link(request):
    return {"order": 85, "template": "menus/_home_block.html"}
