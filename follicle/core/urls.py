from django.urls import path

from follicle.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("settings/clinic/", views.clinic_settings, name="clinic_settings"),
    path("settings/clinic/closed/<int:pk>/remove/", views.closed_day_remove, name="closed_day_remove"),
    path("audit/", views.audit_log, name="audit_log"),
    path("tasks/", views.task_list, name="task_list"),
]
