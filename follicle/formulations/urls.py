from django.urls import path

from follicle.formulations import views

app_name = "formulations"

urlpatterns = [
    path("", views.formulation_list, name="list"),
    path("new/", views.formulation_create, name="create"),
    path("<uuid:uuid>/", views.formulation_detail, name="detail"),
    path("<uuid:uuid>/edit/", views.formulation_edit, name="edit"),
    path("<uuid:uuid>/archive/", views.formulation_archive, name="archive"),
    path("products/", views.product_list, name="product_list"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/<uuid:uuid>/", views.product_detail, name="product_detail"),
    path("products/<uuid:uuid>/edit/", views.product_edit, name="product_edit"),
    path("products/<uuid:uuid>/ingredients/", views.product_ingredients, name="product_ingredients"),
    path("products/<uuid:uuid>/lots/", views.lot_receive, name="lot_receive"),
    path("lots/", views.lot_search, name="lot_search"),
    path("lots/<uuid:uuid>/", views.lot_detail, name="lot_detail"),
    path("lots/<uuid:uuid>/adjust/", views.lot_adjust, name="lot_adjust"),
    path("ingredients/", views.ingredient_list, name="ingredient_list"),
    path("ingredients/<slug:key>/", views.ingredient_detail, name="ingredient_detail"),
]
