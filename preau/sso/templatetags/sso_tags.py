from django import template

from preau.sso.routing import LoginRoutes, login_routes

register = template.Library()


@register.simple_tag
def sso_login_routes() -> LoginRoutes:
    """`{% sso_login_routes as routes %}`: the IdPs the login page offers."""
    return login_routes()
