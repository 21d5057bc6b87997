from django.urls import path

from follicle.reference import views

app_name = "reference"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:kind>/", views.entry_list, name="entry_list"),
    path("<slug:kind>/<slug:key>/", views.entry_detail, name="entry_detail"),
]
