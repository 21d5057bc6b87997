from django.urls import path

from follicle.safety import views

app_name = "safety"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("settings/", views.overdue_settings, name="settings"),
    path("patient/<uuid:uuid>/report/", views.report, name="report"),
    path("event/<uuid:uuid>/", views.event_detail, name="event"),
    path("event/<uuid:uuid>/edit/", views.edit, name="edit"),
    path("event/<uuid:uuid>/follow-up/", views.follow_up, name="follow_up"),
    path("event/<uuid:uuid>/resolve/", views.resolve, name="resolve"),
    path("event/<uuid:uuid>/reopen/", views.reopen, name="reopen"),
    path("event/<uuid:uuid>/in-error/", views.in_error, name="in_error"),
]
