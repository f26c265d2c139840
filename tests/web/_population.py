"""A small population with a known place on the hourglass, sent through the tracking API.

Each customer is built to stand at one stage of one product by the shipped ``hourglass`` model's
evidence rules (Product Viewed: evaluation, Product Shared: justification, Order Completed:
purchase, Order Delivered after an order: adoption), so the expected stage counts follow from
how the population is made, not from what the server answers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# events that put a customer at each stage, in order (each step is evidence of a later stage)
PATHS: dict[str, tuple[str, ...]] = {
    "evaluation": ("Product Viewed",),
    "justification": ("Product Viewed", "Product Shared"),
    "purchase": ("Product Viewed", "Order Completed"),
    "adoption": ("Product Viewed", "Order Completed", "Order Delivered"),
}


@dataclass(frozen=True)
class Customer:
    user_id: str
    email: str
    name: str
    product: str
    stage: str
    channel: str = "web"


@dataclass
class Population:
    customers: list[Customer] = field(default_factory=list)

    def add(self, product: str, stage: str, count: int) -> None:
        for _ in range(count):
            n = len(self.customers) + 1
            self.customers.append(
                Customer(
                    user_id=f"user-{n:03d}",
                    email=f"customer{n:03d}@example.com",
                    name=f"Customer {n:03d}",
                    product=product,
                    stage=stage,
                )
            )

    def expected_counts(self, product: str) -> Counter[str]:
        return Counter(c.stage for c in self.customers if c.product == product)

    def viewers(self, product: str) -> int:
        return sum(1 for c in self.customers if c.product == product)

    def purchasers(self, product: str) -> int:
        return sum(
            1
            for c in self.customers
            if c.product == product and "Order Completed" in PATHS[c.stage]
        )

    def messages(self, start: datetime) -> list[dict[str, Any]]:
        """Segment batch messages: identify, then the stage path one minute apart."""
        out: list[dict[str, Any]] = []
        for i, c in enumerate(self.customers):
            t = start + timedelta(minutes=i)
            out.append(
                {
                    "type": "identify",
                    "messageId": f"{c.user_id}-identify",
                    "userId": c.user_id,
                    "anonymousId": f"anon-{c.user_id}",
                    "timestamp": t.isoformat(),
                    "traits": {"email": c.email, "name": c.name},
                }
            )
            for j, event in enumerate(PATHS[c.stage], start=1):
                properties: dict[str, Any] = {"product_id": c.product}
                if event == "Order Completed":
                    properties = {
                        "order_id": f"order-{c.user_id}",
                        "products": [{"product_id": c.product, "price": 99}],
                    }
                out.append(
                    {
                        "type": "track",
                        "messageId": f"{c.user_id}-{j}",
                        "userId": c.user_id,
                        "event": event,
                        "timestamp": (t + timedelta(seconds=j)).isoformat(),
                        "properties": properties,
                        "context": {"page": {"url": "https://shop.example.com/kits"}},
                    }
                )
        return out


def story_population() -> Population:
    """Two products with different shapes, so a mix-up between them shows."""
    p = Population()
    p.add("genius-kit", "evaluation", 5)
    p.add("genius-kit", "justification", 3)
    p.add("genius-kit", "purchase", 2)
    p.add("genius-kit", "adoption", 1)
    p.add("starter-kit", "evaluation", 2)
    p.add("starter-kit", "purchase", 1)
    return p


def recent_start() -> datetime:
    # recent, so no one has stalled or lapsed yet when the test looks
    return datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
