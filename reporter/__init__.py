"""compliance-reporter: evidence that Kubernetes NetworkPolicies segment what is claimed."""
