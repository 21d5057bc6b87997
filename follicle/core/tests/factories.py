import factory

from follicle.core.models import Clinic


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Clinic {n}")
    address = "1 Test Street"
    language = "el"
