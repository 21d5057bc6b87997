from django.urls import path

from follicle.scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("", views.today, name="today"),
    path("calendar/", views.calendar, name="calendar"),
    path("book/", views.book, name="book"),
    path("slots/", views.free_slots, name="slots"),
    path("patient-options/", views.patient_options, name="patient_options"),
    path("appointments/<uuid:uuid>/", views.appointment_detail, name="appointment"),
    path("appointments/<uuid:uuid>/status/", views.appointment_status, name="status"),
    path("plans/<uuid:uuid>/book/", views.plan_book, name="plan_book"),
    path("resources/", views.resources, name="resources"),
    path("resources/rooms/<uuid:uuid>/", views.room_edit, name="room_edit"),
    path("resources/kinds/<str:code>/", views.type_edit, name="type_edit"),
    path("resources/practitioners/<uuid:uuid>/", views.practitioner_hours, name="practitioner_hours"),
]
