"""Billing: rate cards and prices, charges against reservations, and the usage rollup (DESIGN §3 "Ledger and usage").

    rows = parse_rate_card(csv_text)                                  # checks every line first
    await load_rate_card(db, actor, Path("prices.csv"), plan="standard")
    await assign_plan(db, actor, "shop-a", plan="standard")
    prices = await price_list(db, tenant_id)                          # plan → rate card (+ reseller margin)
    prices.price("marketing", country_of("919876543210"))             # micro-credits per message
    await rollup_usage(db)                                            # usage_events → tenant_daily_metrics

Campaigns reserve their whole expected cost when they start and settle each accepted message against the
reservation with :func:`settle_charges` (batched, one ledger transaction per send attempt).
"""

from __future__ import annotations

from aimstors.core.billing.charges import Charge, ChargeBatch, checkpoint_due, settle_charges
from aimstors.core.billing.pricing import PriceList, country_of, load_price_list, price_list
from aimstors.core.billing.ratecard import (
    CATEGORIES,
    PlanView,
    PriceView,
    RateCardRow,
    assign_plan,
    list_plans,
    load_rate_card,
    parse_rate_card,
    show_prices,
    show_rate_card,
)
from aimstors.core.billing.rollup import ROLLUP_KIND, RollupReport, register, rollup_usage

__all__ = [
    "CATEGORIES",
    "ROLLUP_KIND",
    "Charge",
    "ChargeBatch",
    "PlanView",
    "PriceList",
    "PriceView",
    "RateCardRow",
    "RollupReport",
    "assign_plan",
    "checkpoint_due",
    "country_of",
    "list_plans",
    "load_price_list",
    "load_rate_card",
    "parse_rate_card",
    "price_list",
    "register",
    "rollup_usage",
    "settle_charges",
    "show_prices",
    "show_rate_card",
]
