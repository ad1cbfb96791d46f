from django import template

from news.rendering import excerpt

register = template.Library()


@register.filter
def news_excerpt(text, length=220):
    return excerpt(text, int(length))
