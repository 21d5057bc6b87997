from django.urls import path

from follicle.treatments import views

app_name = "treatments"

urlpatterns = [
    path("protocols/", views.protocol_list, name="protocol_list"),
    path("protocols/new/", views.protocol_create, name="protocol_create"),
    path("protocols/install-defaults/", views.protocol_install_defaults, name="protocol_install_defaults"),
    path("protocols/<uuid:uuid>/", views.protocol_detail, name="protocol_detail"),
    path("protocols/<uuid:uuid>/edit/", views.protocol_edit, name="protocol_edit"),
    path("settings/", views.treatment_settings, name="settings"),
    path("patients/<uuid:uuid>/plans/new/", views.plan_create, name="plan_create"),
    path("plans/<uuid:uuid>/", views.plan_detail, name="plan_detail"),
    path("plans/<uuid:uuid>/status/<str:status>/", views.plan_status, name="plan_status"),
    path("plans/<uuid:uuid>/acknowledge/", views.plan_acknowledge, name="plan_acknowledge"),
    path("plans/<uuid:uuid>/extend/", views.plan_extend, name="plan_extend"),
    path("plans/<uuid:uuid>/therapies/new/", views.plan_therapy_add, name="plan_therapy_add"),
    path("plans/<uuid:uuid>/sessions/<uuid:session_uuid>/move/", views.session_move, name="session_move"),
]
