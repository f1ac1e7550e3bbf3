from django import template

from fairplace.core.navigation import entries_for

register = template.Library()


@register.simple_tag(takes_context=True)
def navigation_entries(context):
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return entries_for(user) if user is not None else []
