"""What a user declares: derivations and their forms, custom-rule checks, claims, input
domains and the streams they sample from."""
