"""Helpers for the deep reinforcement learning course."""

__all__: list[str] = []
