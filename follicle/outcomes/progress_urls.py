from django.urls import path

from follicle.outcomes import progress_views

app_name = "progress"

urlpatterns = [
    path("plan/<uuid:uuid>/", progress_views.plan_progress, name="plan"),
    path("settings/", progress_views.response_policy, name="settings"),
]
