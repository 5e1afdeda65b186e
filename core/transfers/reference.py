"""What Visma holds that documents refer to: accounts, VAT ids and the SUBACCOUNT segment
values (cost bearers). Read once per run, for preflight and for invoice lines' VAT categories."""

from __future__ import annotations

from dataclasses import dataclass

from core.http import about
from core.visma.client import VismaClient
from core.visma.models import Account, Vat


@dataclass(frozen=True)
class VismaReference:
    accounts: dict[str, Account]  # by account number
    vat: dict[str, Vat]  # by VAT id
    segments: set[tuple[int, str]]  # (segment id, value) of the active SUBACCOUNT values


class References:
    """VismaReference of one company, read on first use."""

    def __init__(self, visma: VismaClient) -> None:
        self.visma = visma
        self._read: VismaReference | None = None

    async def get(self) -> VismaReference:
        if self._read is None:
            with about(None):  # read for every document of the run, not the one that asked
                dim = await self.visma.get_dimension("SUBACCOUNT")
                self._read = VismaReference(
                    accounts={
                        a.account_cd: a for a in await self.visma.list_accounts() if a.account_cd
                    },
                    vat={v.vat_id: v for v in await self.visma.list_vat() if v.vat_id},
                    segments={
                        (s.segment_id, v.value_id)
                        for s in dim.segments
                        for v in s.segment_values
                        if s.segment_id is not None and v.value_id and v.active is not False
                    },
                )
        return self._read
