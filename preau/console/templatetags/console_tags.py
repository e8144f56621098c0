from django import template

from preau.documents.sizes import size_label

register = template.Library()


@register.filter
def size(value: int | None) -> str:
    """A quota or a usage in bytes, as "10 Go", "1,5 Go", "250 Mo"."""
    return size_label(int(value or 0))
