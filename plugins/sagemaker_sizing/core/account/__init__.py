"""The account before any spend: preflight's verdict and the quotas a walk needs."""
