"""Fixtures for the formulations tests: an auditor, products made through the service, a formulation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from follicle.core.audit import Auditor
from follicle.formulations import lots, services, versions


@pytest.fixture
def auditor(clinic, personas):
    return Auditor(actor=personas["practitioner"], role="practitioner", clinic=clinic)


@pytest.fixture
def make_product(clinic, auditor, catalogue):
    def make(
        name="Dutasteride 0.01%",
        ingredients=(("dutasteride", Decimal("0.01"), "%"),),
        clinic_=None,
        volume_per_vial_ml=Decimal("2"),
        **fields,
    ):
        return services.product_create(
            clinic=clinic_ or clinic,
            auditor=auditor,
            ingredients=ingredients,
            name=name,
            volume_per_vial_ml=volume_per_vial_ml,
            **fields,
        )

    return make


@pytest.fixture
def cocktail(clinic, auditor, make_product):
    """Dutasteride, biotin and cysteine (oral-only evidence) in two products."""
    duta = make_product(volume_per_vial_ml=Decimal("2"))
    vitamins = make_product(
        name="Hair vitamins",
        volume_per_vial_ml=Decimal("5"),
        ingredients=[("biotin", None, ""), ("cysteine_cystine", Decimal("1"), "mg/mL")],
    )
    formulation = services.formulation_create(
        clinic=clinic,
        auditor=auditor,
        name="AGA cocktail",
        description="Men, vertex",
        components=[(duta, Decimal("1")), (vitamins, Decimal("2.5"))],
    )
    return {"formulation": formulation, "duta": duta, "vitamins": vitamins}


@pytest.fixture
def registries():
    """Providers and checks registered in a test are removed after it."""
    registered = {"lots": [], "versions": []}

    def provider(fn):
        lots.register_lot_usage_provider(fn)
        registered["lots"].append(fn)
        return fn

    def check(fn):
        versions.register_version_usage_check(fn)
        registered["versions"].append(fn)
        return fn

    yield type(
        "Registries", (), {"lot_provider": staticmethod(provider), "version_check": staticmethod(check)}
    )
    for fn in registered["lots"]:
        lots.unregister_lot_usage_provider(fn)
    for fn in registered["versions"]:
        versions.unregister_version_usage_check(fn)
