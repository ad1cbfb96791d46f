from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp
from django import template

from ..franceconnect.provider import PROVIDER_ID
from ..services import registration_open

register = template.Library()


@register.simple_tag
def self_registration_open():
    return registration_open()


@register.simple_tag(takes_context=True)
def franceconnect_enabled(context):
    """FranceConnect is configured (client id set, or the local provider in development)."""
    try:
        get_adapter().get_app(context.get("request"), PROVIDER_ID)
    except SocialApp.DoesNotExist:
        return False
    return True
