from django.urls import path

from follicle.outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("patient/<uuid:uuid>/sites/", views.sites, name="sites"),
    path("patient/<uuid:uuid>/measurements/", views.measurement_add, name="measurement_add"),
    path(
        "measurements/<uuid:uuid>/entered-in-error/", views.measurement_in_error, name="measurement_in_error"
    ),
    path("sites/<uuid:uuid>/", views.site_detail, name="site"),
    path("sites/<uuid:uuid>/edit/", views.site_edit, name="site_edit"),
    path("sites/<uuid:uuid>/reference/", views.site_reference, name="site_reference"),
    path("sites/<uuid:uuid>/upload/", views.upload, name="upload"),
    path("sites/<uuid:uuid>/pairs/", views.pair_create, name="pair_create"),
    path("images/<uuid:uuid>/", views.image_detail, name="image"),
    path("images/<uuid:uuid>/file", views.image_file, name="image_file"),
    path("images/<uuid:uuid>/overlay", views.image_overlay, name="image_overlay"),
    path("images/<uuid:uuid>/analyse/", views.reanalyse, name="reanalyse"),
    path("images/<uuid:uuid>/correct/", views.correct, name="correct"),
    path("images/<uuid:uuid>/entered-in-error/", views.image_in_error, name="image_in_error"),
    path("pairs/<uuid:uuid>/", views.pair_detail, name="pair"),
]
