import datetime as dt
from decimal import Decimal

import factory

from follicle.core.tests.factories import ClinicFactory
from follicle.formulations.models import Lot, Product


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    clinic = factory.SubFactory(ClinicFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    manufacturer = "Meso Pharma"
    volume_per_vial_ml = Decimal("5.00")


class LotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lot

    product = factory.SubFactory(ProductFactory)
    lot_number = factory.Sequence(lambda n: f"L{n:05d}")
    expiry_date = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=365))  # noqa: DTZ011
    quantity_received = 10
    quantity_left = factory.SelfAttribute("quantity_received")
