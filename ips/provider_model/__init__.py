"""How a mailbox provider reacts to one IP's mail: a pluggable model (docs/provider-model.md).

The protocol (a stable interface, DESIGN.md): a factory named `package.module:callable` is called
as `factory(provider: str, seed: int)` and returns a model whose
`offer(*, day: int, hour: int, messages: int) -> dict` is called once per simulated hour (day
from 1, hour 0-23 UTC) with what the IP offered that provider in that hour. It answers integer
counts `delivered, deferred, blocked, hard_bounced, complaints` and optionally `spam` (how many
of the delivered went to the spam folder), with
`delivered + deferred + blocked + hard_bounced == messages` and `complaints <= delivered`.

`ProviderModel` is the project's own model (`ips.provider_model:default_model` its factory). In
brief: a reputation R in [0, 1] per (IP, provider) sets the day's capacity
C(R) = C_min·(C_max/C_min)^R and an hourly limit; mail above either is deferred with the
provider's real reply. At the end of each day R grows with the clean volume accepted (as a share
of capacity, weighted by engagement) and falls with complaints, hard bounces and day-over-day
jumps; idle days decay it. Offering far above the hourly limit hour after hour, or a complaint or
unknown-user rate over the provider's threshold, blocks the IP for a while.

Pure Python, the bottom layer of the ips app: no ORM, no settings, no I/O.
"""

from ips.provider_model.model import ProviderModel, default_model
from ips.provider_model.params import ENGAGEMENT_REF, PROVIDER_PARAMS, ModelParams, params_for
from ips.provider_model.protocol import (
    OUTCOME_KEYS,
    ModelProtocolError,
    check_outcome,
    load_model_factory,
)
from ips.provider_model.replies import REPLIES, REPLY_KINDS, reply_for

__all__ = [
    "ENGAGEMENT_REF",
    "OUTCOME_KEYS",
    "PROVIDER_PARAMS",
    "REPLIES",
    "REPLY_KINDS",
    "ModelParams",
    "ModelProtocolError",
    "ProviderModel",
    "check_outcome",
    "default_model",
    "load_model_factory",
    "params_for",
    "reply_for",
]
