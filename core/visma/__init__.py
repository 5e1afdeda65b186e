"""Visma.net ERP: the Visma Connect token, the async client, its wire models and errors."""
