from django.urls import path

from follicle.procedures import views

app_name = "procedures"

urlpatterns = [
    path("", views.record_list, name="list"),
    path("appointment/<uuid:uuid>/check/", views.safety_check, name="check"),
    path("appointment/<uuid:uuid>/start/", views.start, name="start"),
    path("checks/<uuid:uuid>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<uuid:uuid>/", views.record_detail, name="record"),
    path("<uuid:uuid>/lots/<uuid:product>/", views.lot_set, name="lot"),
    path("<uuid:uuid>/lots/<uuid:product>/remove/", views.lot_remove, name="lot_remove"),
    path("<uuid:uuid>/delivery/", views.delivery, name="update"),
    path("<uuid:uuid>/injections/", views.zones, name="zones"),
    path("<uuid:uuid>/therapies/", views.therapies, name="therapies"),
    path("<uuid:uuid>/sign/", views.sign, name="sign"),
    path("<uuid:uuid>/addenda/", views.addendum, name="addendum"),
    path("<uuid:uuid>/entered-in-error/", views.in_error, name="in_error"),
]
