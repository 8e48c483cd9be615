import contextlib

from celery import shared_task

from dispatch.services import route_order as route_order_service
from workorders.errors import InvalidTransition


@shared_task(name="dispatch.route_order")
def route_order(order_id: int, event_id: int | None = None) -> None:
    # A dispatcher may have moved the order first; then there is nothing to route.
    with contextlib.suppress(InvalidTransition):
        route_order_service(order_id=order_id)
