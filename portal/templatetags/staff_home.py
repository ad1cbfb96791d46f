from django import template

from portal.staff_home import staff_home

register = template.Library()


@register.simple_tag
def staff_home_figures():
    """``{% staff_home_figures as home %}``: what waits and today's figures (portal.staff_home)."""
    return staff_home()
