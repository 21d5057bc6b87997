"""Error pages in the application's layout (and in the user's language)."""

from django.shortcuts import render


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", {"reason": str(exception or "")}, status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    # Rendered without the request context processors' database work: something already failed.
    return render(request, "errors/500.html", status=500)
