"""Selectors: lots (usable, search across products), recipients through the usage registry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from follicle.formulations import selectors
from follicle.formulations.models import Lot
from follicle.formulations.tests.factories import LotFactory, ProductFactory
from follicle.patients.models import Patient


def _today():
    return timezone.localdate()


@pytest.mark.django_db
class TestLots:
    def test_lot_list_usable_only(self, clinic, other_clinic):
        product = ProductFactory(clinic=clinic)
        good = LotFactory(product=product, lot_number="GOOD")
        LotFactory(product=product, lot_number="OLD", expiry_date=_today() - dt.timedelta(days=1))
        LotFactory(product=product, lot_number="EMPTY", quantity_left=0)
        LotFactory(product__clinic=other_clinic, lot_number="THEIRS")
        assert {lot.lot_number for lot in selectors.lot_list(clinic=clinic)} == {"GOOD", "OLD", "EMPTY"}
        assert list(selectors.lot_list(clinic=clinic, usable_only=True)) == [good]
        assert list(selectors.lot_list(clinic=clinic, product=ProductFactory(clinic=clinic))) == []
        assert selectors.lot_usable(good)
        assert not selectors.lot_usable(Lot(expiry_date=_today() - dt.timedelta(days=1), quantity_left=3))
        assert not selectors.lot_usable(Lot(expiry_date=_today(), quantity_left=0))

    def test_search_across_products_of_the_clinic_only(self, clinic, other_clinic):
        LotFactory(product__clinic=clinic, lot_number="AB-1234")
        LotFactory(product__clinic=clinic, lot_number="ab1234x")
        LotFactory(product__clinic=clinic, lot_number="ZZ9")
        LotFactory(product__clinic=other_clinic, lot_number="AB-1234")
        found = selectors.lot_search(clinic=clinic, query="ab")
        assert sorted(lot.lot_number for lot in found) == ["AB-1234", "ab1234x"]
        assert all(lot.product.clinic == clinic for lot in found)
        assert selectors.lot_search(clinic=clinic, query=" b-12 ").count() == 1


@pytest.mark.django_db
class TestRecipients:
    def test_none_registered_means_nobody(self, clinic):
        assert selectors.lot_recipients(LotFactory(product__clinic=clinic)) == []

    def test_providers_are_merged_deduplicated_and_scoped(
        self, clinic, other_clinic, make_patient, registries
    ):
        lot = LotFactory(product__clinic=clinic)
        other_lot = LotFactory(product__clinic=clinic)
        eleni = make_patient()
        john = make_patient(first_name="John", last_name="Adams", sex="male")
        stranger = make_patient(first_name="X", last_name="Y", clinic_=other_clinic)
        registries.lot_provider(
            lambda given: Patient.objects.filter(pk__in=[eleni.pk]) if given == lot else []
        )
        registries.lot_provider(lambda given: [john, eleni, stranger] if given == lot else [])
        assert selectors.lot_recipients(lot) == [john, eleni]
        assert selectors.lot_recipients(other_lot) == []
