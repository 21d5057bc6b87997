from django.urls import path

from follicle.patients import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("consent-texts/", views.consent_texts, name="consent_texts"),
    path("<uuid:uuid>/", views.patient_chart, name="chart"),
    path("<uuid:uuid>/edit/", views.patient_edit, name="edit"),
    path("<uuid:uuid>/entered-in-error/", views.patient_entered_in_error, name="entered_in_error"),
    path("<uuid:uuid>/history/", views.history_detail, name="history"),
    path("<uuid:uuid>/history/edit/", views.history_edit, name="history_edit"),
    path("<uuid:uuid>/consents/", views.consent_list, name="consents"),
    path("<uuid:uuid>/consents/sign/<str:kind>/", views.consent_sign, name="consent_sign"),
    path(
        "<uuid:uuid>/consents/<uuid:consent_uuid>/withdraw/", views.consent_withdraw, name="consent_withdraw"
    ),
]
