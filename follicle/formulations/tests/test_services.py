"""Services: products, lots (receive, adjust, consume), formulations and their versioning."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone

from follicle.core.audit import Auditor
from follicle.core.models import AuditEvent
from follicle.formulations import services
from follicle.formulations.models import FormulationComponent, Lot, LotMovement
from follicle.formulations.tests.factories import LotFactory, ProductFactory

TODAY = dt.date.today  # noqa: DTZ011 - compared with timezone.localdate() in the services


def _today():
    return timezone.localdate()


@pytest.mark.django_db
class TestProducts:
    def test_create_with_ingredients_audited(self, make_product):
        product = make_product()
        assert [(r.ingredient, r.concentration, r.unit) for r in product.ingredients.all()] == [
            ("dutasteride", Decimal("0.0100"), "%")
        ]
        event = AuditEvent.objects.get(action="product.create")
        assert event.detail == {"name": "Dutasteride 0.01%", "ingredients": ["dutasteride"]}

    def test_ingredient_must_be_in_catalogue_and_once(self, make_product):
        with pytest.raises(ValidationError, match="not an ingredient"):
            make_product(ingredients=[("unicorn_dust", None, "")])
        with pytest.raises(ValidationError, match="once"):
            make_product(ingredients=[("biotin", None, ""), ("biotin", None, "")])

    def test_name_unique_per_clinic(self, make_product, other_clinic):
        make_product(volume_per_vial_ml=Decimal("2"))
        with pytest.raises(ValidationError):
            make_product(volume_per_vial_ml=Decimal("2"))
        make_product(volume_per_vial_ml=Decimal("2"), clinic_=other_clinic)  # another clinic may

    def test_ingredients_set_replaces_rows(self, make_product, auditor):
        product = make_product(volume_per_vial_ml=Decimal("2"))
        services.product_ingredients_set(
            product=product, auditor=auditor, ingredients=[("minoxidil", Decimal("0.5"), "%")]
        )
        assert list(product.ingredients.values_list("ingredient", flat=True)) == ["minoxidil"]
        assert AuditEvent.objects.filter(action="product.ingredients").exists()

    def test_update_records_changes(self, make_product, auditor):
        product = make_product(volume_per_vial_ml=Decimal("2"))
        services.product_update(product=product, auditor=auditor, sterile=False)
        event = AuditEvent.objects.get(action="product.update")
        assert event.detail == {"changes": {"sterile": {"old": True, "new": False}}}


@pytest.mark.django_db
class TestLots:
    def test_receive(self, clinic, auditor):
        product = ProductFactory(clinic=clinic)
        lot = services.lot_receive(
            product=product, auditor=auditor, lot_number=" A123 ", expiry_date=_today(), quantity=20
        )
        assert (lot.lot_number, lot.quantity_received, lot.quantity_left) == ("A123", 20, 20)
        assert lot.movements.get().kind == LotMovement.Kind.RECEIVE
        assert AuditEvent.objects.filter(action="lot.receive", object_id=str(lot.uuid)).exists()

    def test_receive_refuses_expired_and_duplicate(self, clinic, auditor):
        product = ProductFactory(clinic=clinic)
        with pytest.raises(ValidationError, match="expired"):
            services.lot_receive(
                product=product,
                auditor=auditor,
                lot_number="X",
                expiry_date=_today() - dt.timedelta(days=1),
                quantity=1,
            )
        services.lot_receive(
            product=product, auditor=auditor, lot_number="X", expiry_date=_today(), quantity=1
        )
        with pytest.raises(ValidationError):
            services.lot_receive(
                product=product, auditor=auditor, lot_number="X", expiry_date=_today(), quantity=1
            )

    def test_consume_decrements(self, clinic, auditor):
        lot = LotFactory(product__clinic=clinic, quantity_received=5)
        services.lot_consume(lot=lot, vials=2, auditor=auditor)
        lot.refresh_from_db()
        assert lot.quantity_left == 3
        assert lot.movements.get().change == -2
        assert AuditEvent.objects.get(action="lot.consume").detail == {"vials": 2, "left": 3}

    def test_consume_refuses_expired_lot(self, clinic, auditor):
        lot = LotFactory(product__clinic=clinic, expiry_date=_today() - dt.timedelta(days=1))
        with pytest.raises(ValidationError, match="expired"):
            services.lot_consume(lot=lot, vials=1, auditor=auditor)

    def test_lot_expiring_today_is_usable(self, clinic, auditor):
        lot = LotFactory(product__clinic=clinic, expiry_date=_today())
        assert services.lot_consume(lot=lot, vials=1, auditor=auditor).quantity_left == 9

    def test_consume_refuses_exhausted_lot_and_too_many(self, clinic, auditor):
        lot = LotFactory(product__clinic=clinic, quantity_received=2, quantity_left=0)
        with pytest.raises(ValidationError, match="no vials left"):
            services.lot_consume(lot=lot, vials=1, auditor=auditor)
        lot = LotFactory(product__clinic=clinic, quantity_received=2)
        with pytest.raises(ValidationError, match="Only 2 vials"):
            services.lot_consume(lot=lot, vials=3, auditor=auditor)
        with pytest.raises(ValidationError):
            services.lot_consume(lot=lot, vials=0, auditor=auditor)
        lot.refresh_from_db()
        assert lot.quantity_left == 2

    def test_consume_reads_the_row_not_a_stale_object(self, clinic, auditor):
        lot = LotFactory(product__clinic=clinic, quantity_received=3)
        stale = Lot.objects.get(pk=lot.pk)
        services.lot_consume(lot=lot, vials=2, auditor=auditor)
        with pytest.raises(ValidationError, match="Only 1 vials"):
            services.lot_consume(lot=stale, vials=2, auditor=auditor)

    def test_adjust_audited_with_reason(self, clinic, auditor):
        lot = LotFactory(product__clinic=clinic, quantity_received=10)
        services.lot_adjust(lot=lot, auditor=auditor, change=-1, reason="Vial broke")
        lot.refresh_from_db()
        assert lot.quantity_left == 9
        movement = lot.movements.get()
        assert (movement.kind, movement.change, movement.reason) == ("adjust", -1, "Vial broke")
        event = AuditEvent.objects.get(action="lot.adjust")
        assert event.detail == {"old": 10, "new": 9, "change": -1, "reason": "Vial broke"}
        assert event.actor == auditor.actor

    def test_adjust_refusals(self, clinic, auditor):
        lot = LotFactory(product__clinic=clinic, quantity_received=10, quantity_left=5)
        with pytest.raises(ValidationError, match="Say why"):
            services.lot_adjust(lot=lot, auditor=auditor, change=-1, reason=" ")
        with pytest.raises(ValidationError, match="below zero"):
            services.lot_adjust(lot=lot, auditor=auditor, change=-6, reason="count")
        with pytest.raises(ValidationError, match="exceed"):
            services.lot_adjust(lot=lot, auditor=auditor, change=6, reason="count")
        assert not AuditEvent.objects.filter(action="lot.adjust").exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_consumers_never_take_the_same_vials(clinic):
    """Six threads, each with its own connection, take 2 vials of a 5-vial lot at once: two succeed."""
    lot = LotFactory(product__clinic=clinic, quantity_received=5)
    barrier = threading.Barrier(6)
    results: list[str] = []

    def consume():
        try:
            barrier.wait()
            services.lot_consume(lot=lot, vials=2, auditor=Auditor.system(clinic=clinic))
            results.append("ok")
        except ValidationError:
            results.append("refused")
        except BaseException as exc:  # noqa: BLE001 - reported below
            results.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=consume) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "ok", "refused", "refused", "refused", "refused"]
    lot.refresh_from_db()
    assert lot.quantity_left == 1
    assert lot.movements.count() == 2


@pytest.mark.django_db
class TestFormulations:
    def test_create_version_one_audited(self, cocktail):
        formulation = cocktail["formulation"]
        version = formulation.versions.get()
        assert version.version == 1
        assert [(c.product.name, c.volume_ml) for c in version.components.all()] == [
            ("Dutasteride 0.01%", Decimal("1.00")),
            ("Hair vitamins", Decimal("2.50")),
        ]
        event = AuditEvent.objects.get(action="formulation.create")
        assert event.detail["version"] == 1 and len(event.detail["components"]) == 2

    @pytest.mark.parametrize(
        ("components", "message"),
        [
            ("empty", "at least one product"),
            ("zero", "positive volume"),
            ("twice", "listed twice"),
            ("inactive", "no longer in use"),
            ("other", "this clinic only"),
        ],
    )
    def test_component_validation(self, clinic, other_clinic, auditor, make_product, components, message):
        product = make_product(volume_per_vial_ml=Decimal("2"))
        cases = {
            "empty": [],
            "zero": [(product, Decimal("0"))],
            "twice": [(product, Decimal("1")), (product, Decimal("2"))],
            "inactive": [(ProductFactory(clinic=clinic, is_active=False), Decimal("1"))],
            "other": [(ProductFactory(clinic=other_clinic), Decimal("1"))],
        }
        with pytest.raises(ValidationError, match=message):
            services.formulation_create(
                clinic=clinic, auditor=auditor, name="X", components=cases[components]
            )

    def test_unused_version_is_edited_in_place(self, cocktail, auditor):
        formulation, duta = cocktail["formulation"], cocktail["duta"]
        services.formulation_update(
            formulation=formulation, auditor=auditor, components=[(duta, Decimal("2"))], name="AGA v2"
        )
        version = formulation.versions.get()
        assert version.version == 1
        assert [(c.product, c.volume_ml) for c in version.components.all()] == [(duta, Decimal("2.00"))]
        formulation.refresh_from_db()
        assert formulation.name == "AGA v2"
        detail = AuditEvent.objects.filter(action="formulation.update").latest("seq").detail
        assert detail["version"]["replaced"] == 1 and detail["name"] == {
            "old": "AGA cocktail",
            "new": "AGA v2",
        }

    def test_used_version_gets_a_new_version(self, cocktail, auditor, registries):
        formulation, duta, vitamins = cocktail["formulation"], cocktail["duta"], cocktail["vitamins"]
        first = formulation.versions.get()
        registries.version_check(lambda version: version.pk == first.pk)
        services.formulation_update(
            formulation=formulation,
            auditor=auditor,
            components=[(duta, Decimal("1.5"))],
            notes="Dropped the vitamins",
        )
        versions = list(formulation.versions.order_by("version"))
        assert [v.version for v in versions] == [1, 2]
        assert versions[1].notes == "Dropped the vitamins"
        assert [(c.product, c.volume_ml) for c in versions[1].components.all()] == [(duta, Decimal("1.50"))]
        # the used version keeps what was prescribed
        assert [(c.product, c.volume_ml) for c in first.components.all()] == [
            (duta, Decimal("1.00")),
            (vitamins, Decimal("2.50")),
        ]
        # version 2 is unused: a further edit changes it in place
        services.formulation_update(
            formulation=formulation, auditor=auditor, components=[(duta, Decimal("1"))]
        )
        assert formulation.versions.count() == 2
        assert FormulationComponent.objects.filter(version=versions[1]).get().volume_ml == Decimal("1.00")

    def test_same_components_on_used_version_make_no_version(self, cocktail, auditor, registries):
        formulation = cocktail["formulation"]
        registries.version_check(lambda version: True)
        components = [(c.product, c.volume_ml) for c in formulation.versions.get().components.all()]
        services.formulation_update(formulation=formulation, auditor=auditor, components=components)
        assert formulation.versions.count() == 1
        assert not AuditEvent.objects.filter(action="formulation.update").exists()

    def test_archive(self, cocktail, auditor):
        formulation = services.formulation_archive(formulation=cocktail["formulation"], auditor=auditor)
        assert formulation.is_archived
        assert AuditEvent.objects.filter(action="formulation.archive").exists()
        with pytest.raises(ValidationError, match="archived"):
            services.formulation_update(formulation=formulation, auditor=auditor, name="Y")
