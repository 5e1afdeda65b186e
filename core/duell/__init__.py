"""DUELL: the async client for the DUELL (Kasseservice) API and its wire models."""
