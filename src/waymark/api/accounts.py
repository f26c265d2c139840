"""Accounts over HTTP (admin token): one account (traits, members with roles and stages, its
stage per product with history, buying groups with missing roles), a page of accounts filtered
by stage and product, and the accounts one person belongs to."""

from __future__ import annotations

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from waymark.accounts.api import AccountsService
from waymark.accounts.contracts import AccountHourglass, AccountPage, AccountView
from waymark.api._deps import available, services, surviving_profile_id
from waymark.api._io import threaded_json
from waymark.api._openapi import Param, endpoint
from waymark.api.analytics import analytics_of
from waymark.api.events import query_int, query_text
from waymark.core.errors import TransientError

TAGS = ("accounts",)


class AccountsUnavailable(TransientError):
    code = "accounts.unavailable"


class ProfileAccounts(msgspec.Struct):
    profile_id: str
    """The surviving profile (an absorbed id answers for it)."""
    accounts: list[AccountView]


def _accounts(request: Request) -> AccountsService:
    return available(
        services(request).accounts, AccountsUnavailable, "accounts are not set up on this server"
    )


@endpoint(
    "GET",
    "/api/v1/accounts",
    summary="Accounts, optionally only those at a stage (of a product)",
    description="Accounts in id order, a page at a time. With ``stage``, only accounts whose "
    "own stage on ``model`` (default: the first running model) is that stage, for ``product`` "
    "or any product; with ``product`` alone, accounts with a journey for it.",
    response=AccountPage,
    auth="admin",
    tags=TAGS,
    params=[
        Param("stage", "query", str, "only accounts at this stage"),
        Param("product", "query", str, "the product the stage is for"),
        Param("model", "query", str, "the journey model (default: the first running one)"),
        Param("offset", "query", int, "accounts to skip (default 0)"),
        Param("limit", "query", int, "accounts per page (1-500, default 50)"),
    ],
    extra_statuses={404: "No such model", 400: "No such stage on the model"},
)
async def list_accounts(request: Request) -> Response:
    return await threaded_json(
        _accounts(request).page,
        model=query_text(request, "model"),
        product=query_text(request, "product"),
        stage=query_text(request, "stage"),
        offset=query_int(request, "offset", 0, lo=0, hi=10**9),
        limit=query_int(request, "limit", 50, lo=1, hi=500),
    )


@endpoint(
    "GET",
    "/api/v1/accounts/{id}",
    summary="One account: traits, members, stage per product with history, buying groups",
    description="Members with their role and their own stage per model and product; the "
    "account's stage per model and product (derived by the model's rule: furthest member, "
    "majority, or a named role) with its history; per journey the buying group: members by "
    "stage, the roles each configured stage needs, and those missing at the account's stage.",
    response=AccountView,
    auth="admin",
    tags=TAGS,
    params=[Param("id", "path", str, "account id (the group call's groupId)")],
    extra_statuses={404: "No such account"},
)
async def get_account(request: Request) -> Response:
    return await threaded_json(_accounts(request).account, request.path_params["id"])


def _profile_accounts(request: Request, raw: str) -> ProfileAccounts:
    profile_id = surviving_profile_id(request, raw)
    accounts = _accounts(request)
    return ProfileAccounts(
        profile_id=profile_id,
        accounts=[accounts.account(a) for a in accounts.accounts_of(profile_id)],
    )


@endpoint(
    "GET",
    "/api/v1/profiles/{id}/accounts",
    summary="The accounts a person belongs to",
    description="Each account as ``/api/v1/accounts/{id}`` answers it (the person's role is "
    "in ``members``).",
    response=ProfileAccounts,
    auth="admin",
    tags=TAGS,
    params=[Param("id", "path", str, "profile id")],
    extra_statuses={404: "No such profile"},
)
async def profile_accounts(request: Request) -> Response:
    return await threaded_json(_profile_accounts, request, request.path_params["id"])


@endpoint(
    "GET",
    "/api/v1/analytics/accounts",
    summary="The account hourglass: accounts per stage per product, members per account",
    description="Per product: accounts at each stage now and accounts that reached it (the "
    "accounts' own journeys), and members of accounts at each stage; per account and product "
    "its stage and how many of its members are at each stage (the hourglass by account).",
    response=AccountHourglass,
    auth="admin",
    tags=("analytics", *TAGS),
    params=[
        Param("model", "query", str, "journey model (default: the first configured)"),
        Param("product", "query", str, "one product (default: every product)"),
    ],
)
async def account_hourglass(request: Request) -> Response:
    return await threaded_json(
        analytics_of(request).account_hourglass,
        model=query_text(request, "model"),
        product=query_text(request, "product"),
    )


def routes() -> list[BaseRoute]:
    return [list_accounts, get_account, profile_accounts, account_hourglass]
