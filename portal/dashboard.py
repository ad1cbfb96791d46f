"""Blocks of the home page contributed by each app.

An app registers ``func(request) -> dict | None`` returning
``{"order": int, "template": "app/_home_block.html", ...context}``; the home page
includes each block in order. ``public=True`` blocks also show before login.
"""
_blocks = []


def register_block(func=None, *, public=False):
    def decorator(f):
        _blocks.append((f, public))
        return f

    return decorator(func) if func else decorator


def dashboard_sections(request, public=False):
    sections = []
    for func, is_public in _blocks:
        if public and not is_public:
            continue
        block = func(request)
        if block:
            sections.append(block)
    return sorted(sections, key=lambda b: b.get("order", 100))
