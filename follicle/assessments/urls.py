from django.urls import path

from follicle.assessments import views

app_name = "assessments"

urlpatterns = [
    path("<uuid:uuid>/new/", views.assessment_create, name="create"),
    path("<uuid:uuid>/screening/", views.screening, name="screening"),
    path("<uuid:uuid>/<uuid:assessment_uuid>/", views.assessment_detail, name="detail"),
    path(
        "<uuid:uuid>/<uuid:assessment_uuid>/entered-in-error/",
        views.assessment_entered_in_error,
        name="entered_in_error",
    ),
]
