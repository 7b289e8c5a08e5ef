"""NetworkPolicy semantics: pure functions from Inventory to Reachability."""
