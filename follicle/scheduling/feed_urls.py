"""Mounted at /calendar/: practitioners' private iCalendar feeds and the page to manage them."""

from django.urls import path, re_path

from follicle.scheduling import feeds

app_name = "calendar"

urlpatterns = [
    path("manage/", feeds.feed_manage, name="manage"),
    re_path(r"^(?P<token>[A-Za-z0-9_-]{20,128})\.ics$", feeds.feed_view, name="feed"),
]
