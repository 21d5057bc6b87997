from django.urls import include, path

from follicle.api.api import api

urlpatterns = [
    path("accounts/", include("follicle.accounts.urls")),
    path("api/", api.urls),
    path("reference/", include("follicle.reference.urls")),
    path("patients/", include("follicle.patients.urls")),
    path("assessments/", include("follicle.assessments.urls")),
    path("formulations/", include("follicle.formulations.urls")),
    path("treatments/", include("follicle.treatments.urls")),
    path("scheduling/", include("follicle.scheduling.urls")),
    path("calendar/", include("follicle.scheduling.feed_urls")),
    path("sessions/", include("follicle.procedures.urls")),
    path("safety/", include("follicle.safety.urls")),
    path("outcomes/", include("follicle.outcomes.urls")),
    path("progress/", include("follicle.outcomes.progress_urls")),
    path("", include("follicle.core.urls")),
]

handler403 = "follicle.core.errors.permission_denied"
handler404 = "follicle.core.errors.page_not_found"
handler500 = "follicle.core.errors.server_error"
