"""Inputs -> Inventory: manifests, Git refs, live clusters."""
