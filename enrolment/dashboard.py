"""Home-page block: the children's next booked days, pending requests and the basket."""
from portal.dashboard import register_block


@register_block
def enrolment_block(request):
    family = getattr(request, "family", None)
    if family is None:
        return None
    from .basket import Basket
    from .selectors import home_summary

    return {"order": 20, "template": "enrolment/_home_block.html", "basket_count": len(Basket(request.session)),
            **home_summary(family=family)}
