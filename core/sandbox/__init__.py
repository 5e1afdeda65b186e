"""The sandbox: an in-process simulation of Visma.net ERP, Visma Connect and DUELL that
speaks their real wire formats, warts included. Tests and `uv run duvi` run against it."""
