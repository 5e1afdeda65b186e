"""Master data between DUELL and Visma: products, customers, stock and Visma's webhooks."""
